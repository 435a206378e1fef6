// A pull-based byte stream, so large (and compressed) files are decoded with
// flat memory. Implementations throw FormatError on damaged input.
#pragma once

#include "libformat/common/bytes.h"

#include <cstddef>
#include <cstdint>

namespace zabra {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Fills up to n bytes; returns fewer only at the end of the stream.
    virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
    // How much of the underlying (possibly compressed) input has been used.
    virtual std::uint64_t consumed() const { return 0; }
};

class SpanSource final : public ByteSource {
public:
    explicit SpanSource(ByteSpan data) : m_data(data) {}
    std::size_t read(std::uint8_t* dst, std::size_t n) override;
    std::uint64_t consumed() const override { return m_pos; }

private:
    ByteSpan m_data;
    std::size_t m_pos = 0;
};

}  // namespace zabra
