// The one bounds-checked cursor every decoder parses through. Reads past the
// end throw FormatError naming the offset; nothing here trusts a length field.
#pragma once

#include "libformat/common/bytes.h"
#include "libformat/common/error.h"

#include <fmt/format.h>

namespace zabra {

class ByteCursor {
public:
    explicit ByteCursor(ByteSpan data, std::uint64_t base_offset = 0)
        : m_data(data), m_base(base_offset) {}

    std::size_t remaining() const { return m_data.size() - m_pos; }
    bool at_end() const { return m_pos == m_data.size(); }
    // Offset of the next byte, counted from the base given at construction.
    std::uint64_t position() const { return m_base + m_pos; }
    std::size_t index() const { return m_pos; }

    ByteSpan take(std::size_t n) {
        if (n > remaining()) {
            throw TruncatedError(fmt::format("need {} bytes at offset {}, only {} left", n, position(), remaining()),
                              position());
        }
        ByteSpan out = m_data.subspan(m_pos, n);
        m_pos += n;
        return out;
    }

    ByteSpan rest() { return take(remaining()); }

    std::uint8_t u8() { return take(1)[0]; }
    std::uint32_t be32() { return load_be32(take(4).data()); }
    std::uint64_t be64() { return load_be64(take(8).data()); }
    std::uint64_t le64() { return load_le64(take(8).data()); }

    // A protobuf base-128 varint: at most 10 bytes, the tenth holding only
    // bit 63. Anything longer or wider is an error, not a silent wrap.
    std::uint64_t varint() {
        const std::uint64_t start = position();
        std::uint64_t v = 0;
        for (int i = 0; i < 10; ++i) {
            if (at_end()) throw TruncatedError(fmt::format("varint at offset {} runs past the end", start), start);
            const std::uint8_t b = m_data[m_pos++];
            if (i == 9 && b > 1) throw FormatError(fmt::format("varint at offset {} overflows 64 bits", start), start);
            v |= std::uint64_t{b & 0x7fu} << (7 * i);
            if ((b & 0x80) == 0) return v;
        }
        throw FormatError(fmt::format("varint at offset {} is longer than 10 bytes", start), start);
    }

private:
    ByteSpan m_data;
    std::uint64_t m_base;
    std::size_t m_pos = 0;
};

}  // namespace zabra
