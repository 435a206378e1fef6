// Non-owning byte views and big-endian helpers shared by every codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace zabra {

using ByteSpan = std::span<const std::uint8_t>;

inline ByteSpan as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string_view as_chars(ByteSpan b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

inline std::uint64_t load_be64(const std::uint8_t* p) {
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}

inline void append_be32(std::string& out, std::uint32_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
    out.append(b, 4);
}

inline void append_be64(std::string& out, std::uint64_t v) {
    append_be32(out, static_cast<std::uint32_t>(v >> 32));
    append_be32(out, static_cast<std::uint32_t>(v));
}

inline std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

inline void append_le64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

// True when every byte of b is zero.
bool all_zero(ByteSpan b);

// Number of non-zero bytes in b.
std::uint64_t count_nonzero(ByteSpan b);

// The end of the run of ASCII bytes (< 0x80) that starts at `from`, a word at a time.
std::size_t ascii_run_end(std::string_view s, std::size_t from);

}  // namespace zabra
