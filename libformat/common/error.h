// Errors raised while decoding bytes. Framing readers never throw: they report
// corruption as data. Decoders throw FormatError from the byte cursor and the
// caller turns it into a report at the record boundary.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace zabra {

class FormatError : public std::runtime_error {
public:
    FormatError(std::string message, std::uint64_t offset)
        : std::runtime_error(std::move(message)), m_offset(offset) {}

    // Byte offset, relative to the start of the buffer being decoded, where the
    // problem was found.
    std::uint64_t offset() const { return m_offset; }

private:
    std::uint64_t m_offset;
};

// The input ended before a field did.
class TruncatedError : public FormatError {
public:
    using FormatError::FormatError;
};

}  // namespace zabra
