// Protobuf wire format, the subset etcd's files use, read through the one
// bounds-checked ByteCursor. Our own rather than libprotobuf: we need the
// byte offset of every problem, strict wire-type checks (etcd tells a v2
// Request from an InternalRaftRequest by whether the strict parse fails),
// no allocation driven by hostile lengths, and gogoproto's exact bytes when
// writing; generated code gives none of these.
//
//   message = { key value }
//   key     = varint( field_number << 3 | wire_type )
//   value   = varint (0) | 8 bytes LE (1) | varint length + bytes (2) | 4 bytes LE (5)
//   wire types 3 and 4 (groups) never occur in etcd data: an error here.
#pragma once

#include "libformat/common/byte_cursor.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace zabra::etcd {

enum class WireType : std::uint8_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

struct ProtoField {
    std::uint32_t number = 0;
    WireType type = WireType::Varint;
    std::uint64_t value = 0;  // Varint, Fixed64, Fixed32
    ByteSpan bytes;           // Bytes
    std::uint64_t offset = 0; // of the key, in the caller's numbering
};

class ProtoReader {
public:
    explicit ProtoReader(ByteSpan message, std::uint64_t base_offset = 0) : m_cursor(message, base_offset) {}

    // The next field, or false at the end. Throws FormatError (with the
    // offset) on a truncated field, a group, an unknown wire type or field 0.
    bool next(ProtoField& f) {
        if (m_cursor.at_end()) return false;
        f.offset = m_cursor.position();
        const std::uint64_t key = m_cursor.varint();
        const std::uint64_t number = key >> 3;
        if (number == 0 || number > 536870911) throw FormatError(fmt::format("field number {} at offset {}", number, f.offset), f.offset);
        f.number = static_cast<std::uint32_t>(number);
        switch (key & 7) {
        case 0: f.type = WireType::Varint; f.value = m_cursor.varint(); break;
        case 1: f.type = WireType::Fixed64; f.value = load_le64(m_cursor.take(8).data()); break;
        case 2: {
            f.type = WireType::Bytes;
            const std::uint64_t n = m_cursor.varint();
            if (n > m_cursor.remaining()) {
                throw TruncatedError(fmt::format("field {} at offset {} declares {} bytes, only {} left", f.number,
                                                 f.offset, n, m_cursor.remaining()), f.offset);
            }
            f.bytes = m_cursor.take(static_cast<std::size_t>(n));
            break;
        }
        case 5: {
            f.type = WireType::Fixed32;
            const ByteSpan b = m_cursor.take(4);
            f.value = std::uint64_t{b[0]} | std::uint64_t{b[1]} << 8 | std::uint64_t{b[2]} << 16 | std::uint64_t{b[3]} << 24;
            break;
        }
        default:
            throw FormatError(fmt::format("wire type {} of field {} at offset {}", key & 7, f.number, f.offset), f.offset);
        }
        return true;
    }

    std::uint64_t position() const { return m_cursor.position(); }

private:
    ByteCursor m_cursor;
};

// Strict accessors: a known field with the wrong wire type is an error.
inline std::uint64_t want_varint(const ProtoField& f) {
    if (f.type != WireType::Varint) throw FormatError(fmt::format("field {} at offset {} is not a varint", f.number, f.offset), f.offset);
    return f.value;
}
inline ByteSpan want_bytes(const ProtoField& f) {
    if (f.type != WireType::Bytes) throw FormatError(fmt::format("field {} at offset {} is not length-delimited", f.number, f.offset), f.offset);
    return f.bytes;
}
// The offset of a nested message's first byte, for its own reader.
inline std::uint64_t nested_offset(const ProtoField& f, std::uint64_t message_base, ByteSpan message) {
    return message_base + static_cast<std::uint64_t>(f.bytes.data() - message.data());
}

// Writing, in gogoproto's order and with its always-written scalars.
inline void append_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}
inline void append_varint_field(std::string& out, std::uint32_t number, std::uint64_t v) {
    append_varint(out, std::uint64_t{number} << 3);
    append_varint(out, v);
}
inline void append_bytes_field(std::string& out, std::uint32_t number, std::string_view bytes) {
    append_varint(out, (std::uint64_t{number} << 3) | 2);
    append_varint(out, bytes.size());
    out.append(bytes);
}

}  // namespace zabra::etcd
