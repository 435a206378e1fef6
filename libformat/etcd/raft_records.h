// Typed WAL record payloads and .snap files, decoded from protobuf bytes.
// Decoders throw FormatError (offsets relative to `base`, the payload's
// offset in its file); callers turn that into a finding for the record.
#pragma once

#include "libformat/common/bytes.h"
#include "libformat/common/error.h"
#include "libformat/etcd/wal_format.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zabra::etcd {

struct WalMetadata {
    std::uint64_t node_id = 0;
    std::uint64_t cluster_id = 0;
};

struct Entry {
    std::uint32_t type = 0;  // 0 normal, 1 conf change, 2 conf change v2
    std::uint64_t term = 0;
    std::uint64_t index = 0;
    ByteSpan data;           // points into the decoded payload
};
const char* entry_type_name(std::uint32_t type);  // "normal", "conf_change", "conf_change_v2", "unknown"

struct HardState {
    std::uint64_t term = 0;
    std::uint64_t vote = 0;
    std::uint64_t commit = 0;
};

struct ConfState {
    std::vector<std::uint64_t> voters, learners, voters_outgoing, learners_next;
    bool auto_leave = false;
};

struct WalSnapshot {
    std::uint64_t index = 0;
    std::uint64_t term = 0;
    std::optional<ConfState> conf_state;  // written by 3.5+
};

WalMetadata decode_metadata(ByteSpan data, std::uint64_t base = 0);
Entry decode_entry(ByteSpan data, std::uint64_t base = 0);
HardState decode_hard_state(ByteSpan data, std::uint64_t base = 0);
WalSnapshot decode_wal_snapshot(ByteSpan data, std::uint64_t base = 0);
ConfState decode_conf_state(ByteSpan data, std::uint64_t base = 0);

std::string encode_metadata(const WalMetadata& m);
std::string encode_entry(const Entry& e);
std::string encode_hard_state(const HardState& h);
std::string encode_wal_snapshot(const WalSnapshot& s);

// A member/snap/*.snap file.
struct SnapFile {
    std::uint32_t crc = 0;           // as stored
    std::uint32_t computed_crc = 0;  // CRC-32C of the raftpb.Snapshot bytes
    std::uint64_t index = 0;
    std::uint64_t term = 0;
    ConfState conf_state;
    ByteSpan data;  // the application state (v2 store JSON)
    bool crc_ok() const { return crc == computed_crc; }
};
// Throws FormatError for an empty file ("empty snapshot", as etcd says),
// bad protobuf, or empty data / zero crc (etcd's ErrEmptySnapshot).
SnapFile decode_snap_file(ByteSpan file);
std::string encode_snap_file(const std::string& data, std::uint64_t index, std::uint64_t term, const ConfState& cs);

}  // namespace zabra::etcd
