#include "tools/dump/format_util.h"

#include <fmt/format.h>

#include <ctime>

namespace zabra::tools {

std::string hex_id(std::int64_t v) { return fmt::format("0x{:x}", static_cast<std::uint64_t>(v)); }

std::string iso_time(std::int64_t epoch_ms, bool utc) {
    const std::int64_t secs = epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
    const int ms = static_cast<int>(epoch_ms - secs * 1000);
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    if (utc) {
        gmtime_r(&t, &tm);
    } else {
        localtime_r(&t, &tm);
    }
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (utc) return fmt::format("{}.{:03}Z", buf, ms);
    char zone[16];
    std::strftime(zone, sizeof zone, "%z", &tm);
    return fmt::format("{}.{:03}{}", buf, ms, zone);
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0. Surrogates (ED A0-BF xx)
// are not valid UTF-8, though Java's jute writer produces them (CESU-8) for
// characters outside the BMP; json_string escapes them as \uXXXX.
std::size_t utf8_len(std::string_view s, std::size_t i) {
    const auto c = static_cast<unsigned char>(s[i]);
    auto cont = [&](std::size_t k) { return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80; };
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (!cont(1) || !cont(2)) return 0;
        const auto c1 = static_cast<unsigned char>(s[i + 1]);
        if (c == 0xe0 && c1 < 0xa0) return 0;
        if (c == 0xed && c1 >= 0xa0) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        const auto c1 = static_cast<unsigned char>(s[i + 1]);
        if ((c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 > 0x8f)) return 0;
        return 4;
    }
    return 0;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_len(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string json_string(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        // Runs of plain printable ASCII are the common case: copy them whole.
        std::size_t j = i;
        while (j < s.size()) {
            const auto b = static_cast<unsigned char>(s[j]);
            if (b < 0x20 || b >= 0x7f || b == '"' || b == '\\') break;
            ++j;
        }
        if (j > i) {
            out.append(s.substr(i, j - i));
            i = j;
            if (i == s.size()) break;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = utf8_len(s, i);
        if (n == 0) {
            if (c == 0xed && i + 2 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xe0) == 0xa0 &&
                (static_cast<unsigned char>(s[i + 2]) & 0xc0) == 0x80) {
                // CESU-8 surrogate: JSON can carry it as a \u escape.
                const unsigned unit = 0xd000u | ((static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 6) |
                                      (static_cast<unsigned char>(s[i + 2]) & 0x3fu);
                out += fmt::format("\\u{:04x}", unit);
                i += 3;
            } else {
                out += "\\ufffd";
                ++i;
            }
            continue;
        }
        if (n > 1) {
            out.append(s.substr(i, n));
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\u{:04x}", c);
        } else {
            out.push_back(static_cast<char>(c));
        }
        i += n;
    }
    out += '"';
    return out;
}

std::string base64(std::string_view s) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((s.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(s[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(s[i + 1])} << 8) |
                                static_cast<unsigned char>(s[i + 2]);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == s.size()) {
        const std::uint32_t v = std::uint32_t{static_cast<unsigned char>(s[i])} << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == s.size()) {
        const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(s[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(s[i + 1])} << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

std::string escape_text(std::string_view s, bool escape_quotes) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = utf8_len(s, i);
        if (n > 1) {
            out.append(s.substr(i, n));
            i += n;
            continue;
        }
        if (escape_quotes && (c == '\\' || c == '"')) {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
        ++i;
    }
    return out;
}

std::string acl_text(const zab::Acl& a) {
    std::string perms;
    if (a.perms & 4) perms += 'c';
    if (a.perms & 8) perms += 'd';
    if (a.perms & 1) perms += 'r';
    if (a.perms & 2) perms += 'w';
    if (a.perms & 16) perms += 'a';
    if (a.perms & ~31) perms += fmt::format("+0x{:x}", a.perms & ~31);
    return fmt::format("{}:{}={}", escape_text(a.scheme), escape_text(a.id), perms);
}

}  // namespace zabra::tools
