// Encodes WAL records exactly as etcd's encoder does (gogoproto field order,
// 8-byte frames, the running CRC-32C chain): for tests, fault injection and
// tools that rewrite a segment.
#pragma once

#include "libformat/etcd/raft_records.h"

#include <string>

namespace zabra::etcd {

class WalEncoder {
public:
    // `chain`: the running crc carried over from the previous segment (0 for the first).
    explicit WalEncoder(std::uint32_t chain = 0) : m_chain(chain) {}

    void crc_record();  // type 4, carrying the running chain value
    void metadata(const WalMetadata& m) { record(RecordType::Metadata, encode_metadata(m)); }
    void entry(const Entry& e) { record(RecordType::Entry, encode_entry(e)); }
    void hard_state(const HardState& h) { record(RecordType::State, encode_hard_state(h)); }
    void snapshot(const WalSnapshot& s) { record(RecordType::Snapshot, encode_wal_snapshot(s)); }
    void record(RecordType type, const std::string& data);

    // The segment so far, and where the next frame would start.
    const std::string& bytes() const { return m_out; }
    std::uint32_t chain() const { return m_chain; }
    // Zero fill up to `size`, as a preallocated active segment.
    std::string preallocated(std::uint64_t size = kSegmentSizeBytes) const;

private:
    std::uint32_t m_chain;
    std::string m_out;
};

}  // namespace zabra::etcd
