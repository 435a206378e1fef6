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

private:
    ByteSpan m_data;
    std::uint64_t m_base;
    std::size_t m_pos = 0;
};

}  // namespace zabra
