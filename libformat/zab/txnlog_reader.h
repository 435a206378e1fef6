// Framing reader for ZooKeeper txn logs (grammar in txnlog_format.h). It yields
// record payloads with their offsets and never throws on bad bytes: how the
// data ends is itself a result (LogEnd), with a torn tail told apart from
// damage that has more data after it.
#pragma once

#include "libformat/common/bytes.h"
#include "libformat/common/mapped_file.h"
#include "libformat/zab/jute.h"
#include "libformat/zab/txnlog_format.h"

#include <optional>
#include <string>

namespace zabra::zab {

struct TxnLogHeader {
    std::uint32_t magic = 0;
    std::int32_t version = 0;
    std::int64_t dbid = 0;
};

enum class HeaderStatus {
    Ok,
    Empty,     // 0 bytes
    Short,     // 1..15 bytes
    BadMagic,  // includes an all-zero header
};

struct TxnLogRecord {
    std::uint64_t offset = 0;  // of the crc field
    std::uint64_t index = 0;   // 0-based position in the file
    std::uint64_t stored_crc = 0;
    ByteSpan payload;
    // Bytes from offset to the end of the EOR byte.
    std::uint64_t size() const { return kRecordPrefixSize + payload.size() + 1; }
};

enum class LogEndKind {
    Clean,     // end of file, or only zeros from here on (preallocated space)
    TornTail,  // a last record cut short, with nothing but zeros after it
    Damaged,   // a bad record with non-zero bytes after it, or a fatal defect
};

enum class EndCause {
    None,
    BadHeader,         // see HeaderStatus
    PartialPrefix,     // fewer than 12 bytes of crc+len before EOF
    ZeroLength,        // len 0 (ZooKeeper's end marker) but data follows
    NegativeLength,    // len < 0 (-1 crashes ZooKeeper with an NPE)
    LengthOverLimit,   // len > the jute.maxbuffer-style limit
    PastEndOfFile,     // payload or EOR cut off by EOF
    BadEndOfRecord,    // EOR byte is not 0x42
    ChecksumMismatch,  // Adler-32 of the payload differs from the stored crc
};

const char* end_cause_name(EndCause c);

struct LogEnd {
    LogEndKind kind = LogEndKind::Clean;
    EndCause cause = EndCause::None;
    std::uint64_t offset = 0;   // where the valid records stop
    std::uint64_t records = 0;  // valid records before that point
    std::string detail;         // one line, for people
    // Damaged only: where the damaged record ends (as far as it can be told),
    // how many non-zero bytes lie after that, and the first offset after the
    // damage where a complete, checksum-valid record starts.
    std::uint64_t damage_end = 0;
    std::uint64_t nonzero_bytes_after = 0;
    std::optional<std::uint64_t> resume_offset;
    // The search for resume_offset stopped at its work budget (hostile input
    // with very many plausible record headers); records may still resume later.
    bool resume_search_incomplete = false;
    // ZooKeeper's reader stops here silently (no error, rest of file ignored).
    bool zookeeper_ignores = false;
    // LengthOverLimit only: the record is intact (EOR and crc match); a higher
    // jute.maxbuffer would read it.
    bool intact_over_limit = false;
};

struct TxnLogReaderOptions {
    std::uint32_t max_record = kDefaultMaxBuffer;
    // Bytes the resume search may checksum before it gives up, so no input
    // makes it quadratic.
    std::uint64_t resume_search_budget = 1ull << 30;
    // Where the file has holes, so zero scans skip them (e.g. a MappedFile);
    // it also takes back the pages the reader has passed, so reading any
    // size of file keeps a flat resident size.
    const FileExtents* extents = nullptr;
    // Records this far behind the reader are released (payloads handed out
    // before stay readable; they are only read back from the file).
    std::uint64_t release_lag = 8u << 20;
};

class TxnLogReader {
public:
    explicit TxnLogReader(ByteSpan file, TxnLogReaderOptions options = {});
    // A mapped log: its holes are skipped and its pages given back as read.
    explicit TxnLogReader(const MappedFile& file, TxnLogReaderOptions options = {})
        : TxnLogReader(file.bytes(), with_extents(options, &file)) {}

    HeaderStatus header_status() const { return m_header_status; }
    const TxnLogHeader& header() const { return m_header; }

    // Next valid record; false once the data ends (see end()).
    bool next(TxnLogRecord& record);
    const LogEnd& end() const { return m_end; }

    // Continue reading at `offset` (a record boundary, e.g. a resume offset).
    // Record indexes go on counting, the damaged record counted as one.
    void seek(std::uint64_t offset);

private:
    static TxnLogReaderOptions with_extents(TxnLogReaderOptions o, const FileExtents* e) {
        o.extents = e;
        return o;
    }
    void finish(LogEndKind kind, EndCause cause, std::string detail);
    void classify_damage(EndCause cause, std::uint64_t damage_end, std::string detail);
    std::optional<std::uint64_t> find_resume(std::uint64_t from, bool& incomplete) const;
    // Zero checks over [from, end of file), reading only the data extents.
    bool zero_from(std::uint64_t from) const;
    std::uint64_t nonzero_from(std::uint64_t from) const;
    bool record_is_valid_at(std::uint64_t at, std::uint64_t& budget) const;

    ByteSpan m_file;
    TxnLogReaderOptions m_options;
    HeaderStatus m_header_status = HeaderStatus::Ok;
    TxnLogHeader m_header;
    std::uint64_t m_pos = kTxnLogHeaderSize;
    std::uint64_t m_index = 0;
    std::uint64_t m_released = 0;  // pages before this offset were given back
    bool m_done = false;
    LogEnd m_end;
};

}  // namespace zabra::zab
