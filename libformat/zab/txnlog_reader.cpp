#include "libformat/zab/txnlog_reader.h"

#include "libformat/common/zero_scan.h"
#include "libformat/common/zlib_codec.h"
#include "libformat/zab/txn.h"

#include <fmt/format.h>

namespace zabra::zab {

const char* end_cause_name(EndCause c) {
    switch (c) {
    case EndCause::None: return "none";
    case EndCause::BadHeader: return "bad-header";
    case EndCause::PartialPrefix: return "partial-prefix";
    case EndCause::ZeroLength: return "zero-length";
    case EndCause::NegativeLength: return "negative-length";
    case EndCause::LengthOverLimit: return "length-over-limit";
    case EndCause::PastEndOfFile: return "past-end-of-file";
    case EndCause::BadEndOfRecord: return "bad-end-of-record";
    case EndCause::ChecksumMismatch: return "checksum-mismatch";
    }
    return "?";
}

TxnLogReader::TxnLogReader(ByteSpan file, TxnLogReaderOptions options) : m_file(file), m_options(options) {
    if (file.empty()) {
        m_header_status = HeaderStatus::Empty;
        m_pos = 0;
        finish(LogEndKind::Damaged, EndCause::BadHeader, "empty file (0 bytes): no file header");
        return;
    }
    if (file.size() < kTxnLogHeaderSize) {
        m_header_status = HeaderStatus::Short;
        m_pos = 0;
        finish(LogEndKind::Damaged, EndCause::BadHeader,
               fmt::format("file is {} bytes, shorter than the 16-byte header", file.size()));
        return;
    }
    m_header.magic = load_be32(file.data());
    m_header.version = static_cast<std::int32_t>(load_be32(file.data() + 4));
    m_header.dbid = static_cast<std::int64_t>(load_be64(file.data() + 8));
    if (m_header.magic != kTxnLogMagic) {
        m_header_status = HeaderStatus::BadMagic;
        m_pos = 0;
        finish(LogEndKind::Damaged, EndCause::BadHeader,
               zero_from(0) ? fmt::format("all {} bytes are zero: the header never reached the disk", file.size())
                              : fmt::format("bad magic 0x{:08x} (want 0x{:08x} \"ZKLG\")", m_header.magic, kTxnLogMagic));
    }
}

void TxnLogReader::seek(std::uint64_t offset) {
    // Resuming after damage: the damaged record counts as one.
    if (m_done && m_end.kind == LogEndKind::Damaged && m_end.cause != EndCause::BadHeader && offset > m_end.offset) {
        m_index = m_end.records + 1;
    }
    m_pos = offset;
    m_done = false;
    m_end = LogEnd{};
}

void TxnLogReader::finish(LogEndKind kind, EndCause cause, std::string detail) {
    m_done = true;
    m_end.kind = kind;
    m_end.cause = cause;
    m_end.offset = m_pos;
    m_end.records = m_index;
    m_end.detail = std::move(detail);
}

bool TxnLogReader::record_is_valid_at(std::uint64_t at, std::uint64_t& budget) const {
    const std::uint64_t size = m_file.size();
    if (at + kRecordPrefixSize + kTxnHeaderSize + 1 > size) return false;
    const std::uint8_t* p = m_file.data() + at;
    if (load_be32(p) != 0) return false;  // Adler-32 lives in the low half
    const std::int32_t len = static_cast<std::int32_t>(load_be32(p + 8));
    if (len < static_cast<std::int32_t>(kTxnHeaderSize) || static_cast<std::uint32_t>(len) > m_options.max_record) {
        return false;
    }
    const std::uint64_t eor = at + kRecordPrefixSize + static_cast<std::uint64_t>(len);
    if (eor >= size || m_file[eor] != kEndOfRecord) return false;
    budget -= std::min<std::uint64_t>(budget, static_cast<std::uint64_t>(len));
    return adler32_of(m_file.subspan(at + kRecordPrefixSize, static_cast<std::size_t>(len))) == load_be32(p + 4);
}

std::optional<std::uint64_t> TxnLogReader::find_resume(std::uint64_t from, bool& incomplete) const {
    std::uint64_t budget = m_options.resume_search_budget;
    for (std::uint64_t at = from; at + kRecordPrefixSize < m_file.size(); ++at) {
        if (budget == 0) {
            incomplete = true;
            return std::nullopt;
        }
        if (record_is_valid_at(at, budget)) return at;
    }
    return std::nullopt;
}

bool TxnLogReader::zero_from(std::uint64_t from) const {
    return all_zero_from(m_file, std::min<std::uint64_t>(from, m_file.size()), m_options.extents);
}

std::uint64_t TxnLogReader::nonzero_from(std::uint64_t from) const {
    return count_nonzero_from(m_file, std::min<std::uint64_t>(from, m_file.size()), m_options.extents);
}

void TxnLogReader::classify_damage(EndCause cause, std::uint64_t damage_end, std::string detail) {
    damage_end = std::min<std::uint64_t>(damage_end, m_file.size());
    const std::uint64_t nonzero = nonzero_from(damage_end);
    const bool tolerated_at_tail = cause == EndCause::BadEndOfRecord || cause == EndCause::PastEndOfFile ||
                                   cause == EndCause::PartialPrefix || cause == EndCause::ZeroLength;
    if (nonzero == 0 && tolerated_at_tail) {
        finish(LogEndKind::TornTail, cause, std::move(detail));
    } else {
        finish(LogEndKind::Damaged, cause, std::move(detail));
        m_end.damage_end = damage_end;
        m_end.nonzero_bytes_after = nonzero;
        if (nonzero != 0) m_end.resume_offset = find_resume(m_pos + 1, m_end.resume_search_incomplete);
    }
    m_end.zookeeper_ignores = tolerated_at_tail;
}

bool TxnLogReader::next(TxnLogRecord& record) {
    if (m_done) return false;
    const std::uint64_t size = m_file.size();
    const std::uint64_t left = size - m_pos;
    if (left == 0) {
        finish(LogEndKind::Clean, EndCause::None, "end of file");
        return false;
    }
    if (left < kRecordPrefixSize) {
        if (zero_from(m_pos)) {
            finish(LogEndKind::Clean, EndCause::None, "zero padding to end of file");
        } else {
            classify_damage(EndCause::PartialPrefix, size,
                            fmt::format("only {} bytes of a record prefix before end of file", left));
        }
        return false;
    }
    const std::uint8_t* p = m_file.data() + m_pos;
    const std::uint64_t crc = load_be64(p);
    const std::int32_t len = static_cast<std::int32_t>(load_be32(p + 8));

    if (len == 0) {
        if (zero_from(m_pos + kRecordPrefixSize)) {
            if (crc == 0) {
                finish(LogEndKind::Clean, EndCause::None, "zero length: end of data in preallocated space");
            } else {
                classify_damage(EndCause::ZeroLength, m_pos + kRecordPrefixSize,
                                fmt::format("checksum 0x{:x} with zero length and nothing after it", crc));
            }
        } else {
            classify_damage(EndCause::ZeroLength, m_pos + kRecordPrefixSize,
                            "zero length (ZooKeeper's end marker) but non-zero bytes follow");
        }
        return false;
    }
    if (len < 0) {
        classify_damage(EndCause::NegativeLength, m_pos + kRecordPrefixSize,
                        fmt::format("negative record length {}", len));
        return false;
    }
    const std::uint64_t ulen = static_cast<std::uint64_t>(len);
    const std::uint64_t record_end = m_pos + kRecordPrefixSize + ulen + 1;
    if (ulen > m_options.max_record) {
        const bool intact = record_end <= size && m_file[record_end - 1] == kEndOfRecord &&
                            adler32_of(m_file.subspan(m_pos + kRecordPrefixSize, ulen)) == crc;
        classify_damage(EndCause::LengthOverLimit, intact ? record_end : m_pos + kRecordPrefixSize,
                        intact ? fmt::format("intact record of {} bytes exceeds the limit of {} bytes "
                                             "(jute.maxbuffer + extrasize)",
                                             ulen, m_options.max_record)
                               : fmt::format("record length {} exceeds the limit of {} bytes", ulen,
                                             m_options.max_record));
        m_end.intact_over_limit = intact;
        return false;
    }
    if (record_end > size) {
        classify_damage(EndCause::PastEndOfFile, size,
                        fmt::format("record of {} bytes runs {} bytes past the end of the file", ulen,
                                    record_end - size));
        return false;
    }
    const std::uint8_t eor = m_file[record_end - 1];
    if (eor != kEndOfRecord) {
        classify_damage(EndCause::BadEndOfRecord, record_end,
                        fmt::format("end-of-record byte is 0x{:02x}, not 0x42", eor));
        return false;
    }
    const ByteSpan payload = m_file.subspan(m_pos + kRecordPrefixSize, ulen);
    const std::uint32_t actual = adler32_of(payload);
    if (crc != actual) {
        classify_damage(EndCause::ChecksumMismatch, record_end,
                        fmt::format("stored checksum 0x{:x}, Adler-32 of the payload is 0x{:x}", crc, actual));
        return false;
    }
    record.offset = m_pos;
    record.index = m_index++;
    record.stored_crc = crc;
    record.payload = payload;
    m_pos = record_end;
    if (m_options.extents != nullptr && m_pos >= m_released + 2 * m_options.release_lag) {
        const std::uint64_t from = m_released;
        m_released = m_pos - m_options.release_lag;
        m_options.extents->release(from, m_released);
    }
    return true;
}

}  // namespace zabra::zab
