// Framing reader for one etcd WAL segment (grammar in wal_format.h). Yields
// records with their offsets and checks the CRC-32C chain; never throws on
// bad bytes: how the data ends is itself a result (WalEnd), with etcd's own
// torn-write rule telling a torn tail of the last segment from damage.
#pragma once

#include "libformat/common/bytes.h"
#include "libformat/common/mapped_file.h"
#include "libformat/etcd/wal_format.h"

#include <optional>
#include <string>

namespace zabra::etcd {

struct WalFrame {
    std::uint64_t offset = 0;  // of the length word
    std::uint64_t size = 0;    // 8 + L + P
    std::uint64_t index = 0;   // 0-based position in the segment
    std::uint64_t type = 0;    // RecordType, or anything a hostile file holds
    std::uint32_t crc = 0;     // as stored
    bool has_data = false;
    ByteSpan data;
    std::uint64_t data_offset = 0;  // of data's first byte in the file
};

enum class WalEndKind {
    Clean,     // end of file at a frame boundary, or a zero length word
    TornTail,  // the last segment's last frame, cut short as etcd's repair assumes
    Damaged,   // anything etcd refuses to start on
};

enum class WalEndCause {
    None,
    EndOfFile,          // Clean: the file ends after a whole frame
    ZeroLength,         // Clean: a zero length word (preallocated space)
    PartialLengthWord,  // 1-7 bytes before EOF
    LengthPastEnd,      // L + P runs past the end of the file
    LengthOverLimit,    // L >= 10 MiB: etcd 3.4 refuses it (max entry size limit exceeded)
    BadRecord,          // the walpb.Record does not decode
    CrcMismatch,        // a record's stored crc is not the chain value
    CrcRecordMismatch,  // a crc record does not carry the running chain value
};
const char* wal_end_cause_name(WalEndCause c);

struct WalEnd {
    WalEndKind kind = WalEndKind::Clean;
    WalEndCause cause = WalEndCause::None;
    std::uint64_t offset = 0;   // where the valid frames stop
    std::uint64_t records = 0;  // valid records before that point
    std::string detail;         // one line, for people
    std::uint32_t stored_crc = 0, computed_crc = 0;  // the crc causes
    // Where the bad frame ends as far as can be told, the non-zero bytes from
    // there to the end of the file (for a zero length word: from it), and the
    // first later offset where a well-formed frame starts.
    std::uint64_t damage_end = 0;
    std::uint64_t nonzero_bytes_after = 0;
    std::optional<std::uint64_t> resume_offset;
};

struct WalReaderOptions {
    std::uint32_t chain = 0;    // the running crc entering the segment; 0: unknown, as etcd
    bool last_segment = true;   // torn writes are only recognised in the last segment, as etcd
    bool verify_crc = true;     // false: frames only (reading past damage, unverified)
    std::uint64_t start = 0;    // offset of the first frame (a multiple of 8)
    // Where the segment has holes, and who takes back the pages scanned (a
    // MappedFile): the zero tail of a 64 MB segment is then never resident.
    const FileExtents* extents = nullptr;
};

class WalReader {
public:
    explicit WalReader(ByteSpan segment, WalReaderOptions options = {});

    // The next well-formed record, or false at the end (see end()).
    bool next(WalFrame& frame);
    const WalEnd& end() const { return m_end; }
    std::uint32_t chain() const { return m_chain; }

private:
    bool finish(WalEndKind kind, WalEndCause cause, std::string detail, std::uint64_t damage_end);
    bool looks_torn(std::uint64_t from, std::uint64_t to) const;

    ByteSpan m_data;
    WalReaderOptions m_options;
    std::uint64_t m_offset;
    std::uint64_t m_records = 0;
    std::uint32_t m_chain;
    bool m_done = false;
    WalEnd m_end;
};

// Parses a walpb.Record. Throws FormatError.
struct WalRecordFields {
    std::uint64_t type = 0;
    std::uint32_t crc = 0;
    bool has_data = false;
    ByteSpan data;
};
WalRecordFields parse_wal_record(ByteSpan record, std::uint64_t base);

// Frames a record as etcd's encoder does: length word, record, padding.
std::string frame_wal_record(std::uint64_t type, std::uint32_t crc, const std::string* data);

}  // namespace zabra::etcd
