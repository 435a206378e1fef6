#include "libformat/etcd/wal_reader.h"

#include "libformat/common/byte_cursor.h"
#include "libformat/common/crc32c.h"
#include "libformat/common/zero_scan.h"
#include "libformat/etcd/proto.h"

#include <fmt/format.h>

namespace zabra::etcd {

const char* wal_end_cause_name(WalEndCause c) {
    switch (c) {
    case WalEndCause::None: return "none";
    case WalEndCause::EndOfFile: return "end-of-file";
    case WalEndCause::ZeroLength: return "zero-length";
    case WalEndCause::PartialLengthWord: return "partial-length-word";
    case WalEndCause::LengthPastEnd: return "length-past-end";
    case WalEndCause::LengthOverLimit: return "length-over-limit";
    case WalEndCause::BadRecord: return "bad-record";
    case WalEndCause::CrcMismatch: return "crc-mismatch";
    case WalEndCause::CrcRecordMismatch: return "crc-record-mismatch";
    }
    return "?";
}

WalRecordFields parse_wal_record(ByteSpan record, std::uint64_t base) {
    WalRecordFields r;
    bool have_type = false;
    ProtoReader p(record, base);
    ProtoField f;
    while (p.next(f)) {
        switch (f.number) {
        case 1: r.type = want_varint(f); have_type = true; break;
        case 2: {
            const std::uint64_t c = want_varint(f);
            if (c > 0xffffffff) throw FormatError(fmt::format("crc {} at offset {} is wider than 32 bits", c, f.offset), f.offset);
            r.crc = static_cast<std::uint32_t>(c);
            break;
        }
        case 3: r.data = want_bytes(f); r.has_data = true; break;
        default: break;
        }
    }
    if (!have_type) throw FormatError(fmt::format("record at offset {} has no type", base), base);
    return r;
}

std::string frame_wal_record(std::uint64_t type, std::uint32_t crc, const std::string* data) {
    std::string rec;
    append_varint_field(rec, 1, type);
    append_varint_field(rec, 2, crc);
    if (data) append_bytes_field(rec, 3, *data);
    const std::uint64_t pad = (8 - rec.size() % 8) % 8;
    std::string out;
    append_le64(out, rec.size() | (pad ? (0x80 | pad) << 56 : 0));
    out += rec;
    out.append(pad, '\0');
    return out;
}

namespace {

// The first bytes of a record as etcd writes them: 08 <type 1-5> 10 <crc>,
// then for all but crc records 1a <length> reaching exactly to the end. Reads
// at most ~30 bytes, so the resume search stays linear in the file size.
bool frame_head_plausible(ByteSpan rec) {
    try {
        ByteCursor c(rec.subspan(0, std::min<std::size_t>(rec.size(), 32)));
        if (c.u8() != 0x08) return false;
        const std::uint64_t type = c.varint();
        if (type < 1 || type > 5 || c.u8() != 0x10 || c.varint() > 0xffffffffu) return false;
        if (type == 4) return c.index() == rec.size();
        if (c.u8() != 0x1a) return false;
        const std::uint64_t n = c.varint();
        return c.index() + n == rec.size();
    } catch (const FormatError&) {
        return false;
    }
}

}  // namespace

WalReader::WalReader(ByteSpan segment, WalReaderOptions options)
    : m_data(segment), m_options(options), m_offset(options.start), m_chain(options.chain) {}

// etcd's isTornEntry: the frame body cut at every 512-byte file offset; a
// piece that is all zeros is a sector that never reached the disk.
bool WalReader::looks_torn(std::uint64_t from, std::uint64_t to) const {
    to = std::min<std::uint64_t>(to, m_data.size());
    for (std::uint64_t at = from; at < to;) {
        const std::uint64_t piece_end = std::min(to, (at / kTornSectorSize + 1) * kTornSectorSize);
        if (all_zero(m_data.subspan(at, piece_end - at))) return true;
        at = piece_end;
    }
    return false;
}

bool WalReader::finish(WalEndKind kind, WalEndCause cause, std::string detail, std::uint64_t damage_end) {
    m_done = true;
    m_end.kind = kind;
    m_end.cause = cause;
    m_end.offset = m_offset;
    m_end.records = m_records;
    m_end.detail = std::move(detail);
    m_end.damage_end = std::min<std::uint64_t>(damage_end, m_data.size());
    const FileExtents* extents = m_options.extents;
    m_end.nonzero_bytes_after = all_zero_from(m_data, m_end.damage_end, extents)
                                    ? 0
                                    : count_nonzero_from(m_data, m_end.damage_end, extents);
    if (kind == WalEndKind::Clean && m_end.nonzero_bytes_after == 0) return false;
    // Look for a later well-formed frame: what the damage (or a zero length
    // word, which etcd takes for the end) hides. Linear: a head check per 8 bytes.
    std::uint64_t at = (m_end.damage_end + kFrameAlign - 1) / kFrameAlign * kFrameAlign;
    if (cause == WalEndCause::ZeroLength) at = m_offset + kFrameAlign;
    for (std::uint64_t released = at; at + kFrameAlign <= m_data.size(); at += kFrameAlign) {
        if (extents != nullptr && at >= released + (1u << 20)) {
            extents->release(released, at);
            released = at;
        }
        const std::uint64_t word = load_le64(m_data.data() + at);
        const std::uint64_t len = word & 0x00ffffffffffffffull;
        const std::uint64_t pad = (word >> 63) ? (word >> 56) & 7 : 0;
        if (len < 2 || len >= kMaxRecordBytes || len + pad > m_data.size() - at - kFrameAlign) continue;
        if (frame_head_plausible(m_data.subspan(at + kFrameAlign, len))) {
            m_end.resume_offset = at;
            break;
        }
    }
    return false;
}

bool WalReader::next(WalFrame& frame) {
    if (m_done) return false;
    const std::uint64_t size = m_data.size();
    const bool last = m_options.last_segment;
    const WalEndKind tail_or_damage = last ? WalEndKind::TornTail : WalEndKind::Damaged;
    if (m_offset >= size) return finish(WalEndKind::Clean, WalEndCause::EndOfFile, "end of file", size);
    if (size - m_offset < kFrameAlign) {
        return finish(tail_or_damage, WalEndCause::PartialLengthWord,
                      fmt::format("only {} bytes of a length word before the end of the file", size - m_offset), size);
    }
    const std::uint64_t word = load_le64(m_data.data() + m_offset);
    if (word == 0) return finish(WalEndKind::Clean, WalEndCause::ZeroLength, "zero length word", m_offset);
    const std::uint64_t len = word & 0x00ffffffffffffffull;
    const std::uint64_t pad = (word >> 63) ? (word >> 56) & 7 : 0;
    const std::uint64_t body = m_offset + kFrameAlign;
    const std::uint64_t left = size - body;
    if (len >= kMaxRecordBytes) {
        return finish(WalEndKind::Damaged, WalEndCause::LengthOverLimit,
                      fmt::format("record length {} (length word {:#018x}): etcd 3.4 refuses records of 10 MiB "
                                  "and more (max entry size limit exceeded)", len, word),
                      len + pad > left ? size : body + len + pad);
    }
    if (len + pad > left) {
        return finish(tail_or_damage, WalEndCause::LengthPastEnd,
                      fmt::format("record of {} bytes (+{} padding) but only {} bytes left in the file", len, pad, left),
                      size);
    }
    const std::uint64_t frame_end = body + len + pad;
    WalRecordFields rec;
    try {
        rec = parse_wal_record(m_data.subspan(body, len), body);
    } catch (const FormatError& e) {
        const bool torn = last && looks_torn(body, frame_end);
        return finish(torn ? WalEndKind::TornTail : WalEndKind::Damaged, WalEndCause::BadRecord,
                      fmt::format("record does not decode: {}{}", e.what(), torn ? " (a zero sector: torn write)" : ""),
                      frame_end);
    }
    if (m_options.verify_crc) {
        if (rec.type == static_cast<std::uint64_t>(RecordType::Crc)) {
            if (m_chain != 0 && rec.crc != m_chain) {
                m_end.stored_crc = rec.crc;
                m_end.computed_crc = m_chain;
                return finish(WalEndKind::Damaged, WalEndCause::CrcRecordMismatch,
                              fmt::format("crc record carries {:#010x}, but the chain so far is {:#010x}: records "
                                          "are missing or changed before this segment",
                                          rec.crc, m_chain),
                              frame_end);
            }
            m_chain = rec.crc;
        } else {
            const std::uint32_t computed = crc32c_extend(m_chain, rec.data);
            if (computed != rec.crc) {
                const bool torn = last && looks_torn(body, frame_end);
                m_end.stored_crc = rec.crc;
                m_end.computed_crc = computed;
                return finish(torn ? WalEndKind::TornTail : WalEndKind::Damaged, WalEndCause::CrcMismatch,
                              fmt::format("crc mismatch: stored {:#010x}, computed {:#010x}{}", rec.crc, computed,
                                          torn ? " (a zero sector: torn write)" : ""),
                              frame_end);
            }
            m_chain = computed;
        }
    }
    frame.offset = m_offset;
    frame.size = frame_end - m_offset;
    frame.index = m_records++;
    frame.type = rec.type;
    frame.crc = rec.crc;
    frame.has_data = rec.has_data;
    frame.data = rec.data;
    frame.data_offset = rec.has_data ? static_cast<std::uint64_t>(rec.data.data() - m_data.data()) : body;
    m_offset = frame_end;
    return true;
}

}  // namespace zabra::etcd
