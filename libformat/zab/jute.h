// Jute, ZooKeeper's record serialisation ("BinaryOutputArchive"): fields in
// declaration order, no tags, big-endian integers.
//
//   int      4 bytes BE           long    8 bytes BE
//   boolean  1 byte (non-zero = true; written as 0x01)
//   buffer   int32 length N, N bytes; -1 = null, 0 = empty
//   ustring  like buffer (UTF-8, but each UTF-16 unit encoded on its own)
//   vector   int32 count, elements; -1 = null
//
// Every buffer and string length is checked against a limit before anything
// is read, as BinaryInputArchive.checkLength does with jute.maxbuffer.
#pragma once

#include "libformat/common/byte_cursor.h"

#include <optional>
#include <string>
#include <vector>

namespace zabra::zab {

// jute.maxbuffer (0xfffff) + zookeeper.jute.maxbuffer.extrasize (defaults to
// jute.maxbuffer): the largest buffer a default ZooKeeper 3.5.7+ accepts.
constexpr std::uint32_t kDefaultMaxBuffer = 0xfffff * 2;

using Buffer = std::optional<std::string>;  // nullopt = jute null (-1)

template <class Source>
class JuteReader {
public:
    JuteReader(Source& src, std::uint32_t max_length) : m_src(src), m_max(max_length) {}

    Source& source() { return m_src; }

    std::int32_t i32() { return static_cast<std::int32_t>(load_be32(m_src.take(4).data())); }
    std::int64_t i64() { return static_cast<std::int64_t>(load_be64(m_src.take(8).data())); }
    bool boolean() { return m_src.take(1)[0] != 0; }

    Buffer buffer(const char* what) {
        const std::uint64_t at = m_src.position();
        const std::int32_t n = i32();
        if (n == -1) return std::nullopt;
        check_length(n, at, what);
        return std::string(as_chars(m_src.take(static_cast<std::size_t>(n))));
    }

    // A string that may not be null (paths, ACL schemes).
    std::string string(const char* what) {
        const std::uint64_t at = m_src.position();
        Buffer b = buffer(what);
        if (!b) throw FormatError(fmt::format("{} at offset {} is null", what, at), at);
        return std::move(*b);
    }

    // Checks and skips a buffer (or a nullable string) without copying it.
    void skip_buffer(const char* what) {
        const std::uint64_t at = m_src.position();
        const std::int32_t n = i32();
        if (n == -1) return;
        check_length(n, at, what);
        m_src.take(static_cast<std::size_t>(n));
    }

    // Checks and skips a string that may not be null.
    void skip_string(const char* what) {
        const std::uint64_t at = m_src.position();
        const std::int32_t n = i32();
        if (n == -1) throw FormatError(fmt::format("{} at offset {} is null", what, at), at);
        check_length(n, at, what);
        m_src.take(static_cast<std::size_t>(n));
    }

    // Vector element count; nullopt for a null vector.
    std::optional<std::int32_t> count(const char* what) {
        const std::uint64_t at = m_src.position();
        const std::int32_t n = i32();
        if (n == -1) return std::nullopt;
        if (n < 0) throw FormatError(fmt::format("{} at offset {} has negative count {}", what, at, n), at);
        return n;
    }

private:
    void check_length(std::int32_t n, std::uint64_t at, const char* what) {
        if (n < 0 || static_cast<std::uint32_t>(n) > m_max) {
            throw FormatError(fmt::format("{} at offset {} has unreasonable length {} (limit {})", what, at, n, m_max),
                              at);
        }
    }

    Source& m_src;
    std::uint32_t m_max;
};

class JuteWriter {
public:
    explicit JuteWriter(std::string& out) : m_out(out) {}

    void i32(std::int32_t v) { append_be32(m_out, static_cast<std::uint32_t>(v)); }
    void i64(std::int64_t v) { append_be64(m_out, static_cast<std::uint64_t>(v)); }
    void boolean(bool v) { m_out.push_back(v ? '\x01' : '\x00'); }
    void buffer(const Buffer& b) {
        if (!b) return i32(-1);
        string(*b);
    }
    void string(std::string_view s) {
        i32(static_cast<std::int32_t>(s.size()));
        m_out.append(s);
    }
    void raw(std::string_view s) { m_out.append(s); }
    std::string& out() { return m_out; }

private:
    std::string& m_out;
};

}  // namespace zabra::zab
