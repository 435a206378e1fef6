#include "tools/common/format_util.h"

#include <fmt/format.h>

#include <charconv>
#include <climits>
#include <cstring>
#include <ctime>
#include <cwchar>

#include <locale.h>

namespace zabra::tools {

namespace {

// Bytes copied as they are: printable ASCII, less quote and backslash when
// those are escaped.
struct PlainBytes {
    bool plain[2][256] = {};
    constexpr PlainBytes() {
        for (int q = 0; q < 2; ++q) {
            for (int b = 0x20; b < 0x7f; ++b) plain[q][b] = !(q && (b == '"' || b == '\\'));
        }
    }
};
constexpr PlainBytes kPlain;

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

std::uint64_t load8(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
}

// Whether some byte of w is zero / below n (n <= 0x80): the usual SWAR tests,
// exact as a whole though a borrow can mark bytes above a true hit.
constexpr bool has_zero_byte(std::uint64_t w) { return ((w - kOnes) & ~w & kHighs) != 0; }
constexpr bool has_byte_below(std::uint64_t w, unsigned n) { return ((w - kOnes * n) & ~w & kHighs) != 0; }

// Eight bytes that a JSON string takes as they are: printable ASCII, no quote,
// no backslash, no DEL. Most paths and data are such runs.
constexpr bool json_plain8(std::uint64_t w) {
    return (w & kHighs) == 0 && !has_byte_below(w, 0x20) && !has_zero_byte(w ^ (kOnes * '"')) &&
           !has_zero_byte(w ^ (kOnes * '\\')) && !has_zero_byte(w ^ (kOnes * 0x7f));
}

}  // namespace


void append_hex_id(std::string& out, std::int64_t v, int min_digits) {
    char buf[18];
    char* end = buf + sizeof buf;
    char* p = end;
    auto u = static_cast<std::uint64_t>(v);
    do {
        *--p = "0123456789abcdef"[u & 15];
        u >>= 4;
    } while (u != 0);
    while (end - p < min_digits) *--p = '0';
    *--p = 'x';
    *--p = '0';
    out.append(p, static_cast<std::size_t>(end - p));
}

void append_decimal(std::string& out, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

std::string hex_id(std::int64_t v) {
    std::string s;
    append_hex_id(s, v);
    return s;
}

void append_iso_time(std::string& out, std::int64_t epoch_ms, bool utc) {
    // "<date>T<time>.<zone>" per second; the milliseconds go in after the dot.
    const std::string& second = per_second(epoch_ms, utc, [](std::int64_t secs, bool in_utc) {
        const std::time_t t = static_cast<std::time_t>(secs);
        std::tm tm{};
        if (in_utc) {
            gmtime_r(&t, &tm);
        } else {
            localtime_r(&t, &tm);
        }
        char buf[64];
        std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.", &tm);
        std::string text(buf, n);
        n = in_utc ? 0 : std::strftime(buf, sizeof buf, "%z", &tm);
        return text + (in_utc ? std::string("Z") : std::string(buf, n));
    });
    const std::size_t bar = second.rfind('.') + 1;  // the milliseconds go after the seconds' dot
    const std::int64_t ms = epoch_ms - (epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000) * 1000;
    const char millis[3] = {static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                             static_cast<char>('0' + ms % 10)};
    out.append(second, 0, bar).append(millis, 3).append(second, bar, std::string::npos);
}

std::string iso_time(std::int64_t epoch_ms, bool utc) {
    std::string s;
    append_iso_time(s, epoch_ms, utc);
    return s;
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
    std::size_t i = ascii_run_end(s, 0);
    while (i < s.size()) {
        const std::size_t n = utf8_len(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string json_string(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    append_json_string(out, s);
    return out;
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        // Runs of plain printable ASCII are the common case: copy them whole.
        std::size_t j = i;
        while (j + 8 <= s.size() && json_plain8(load8(s.data() + j))) j += 8;
        while (j < s.size() && kPlain.plain[1][static_cast<unsigned char>(s[j])]) ++j;
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
}

void append_base64(std::string& out, std::string_view s) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::size_t start = out.size();
    out.resize(start + (s.size() + 2) / 3 * 4);
    char* o = out.data() + start;
    auto byte = [&s](std::size_t k) { return std::uint32_t{static_cast<unsigned char>(s[k])}; };
    std::size_t i = 0;
    for (; i + 2 < s.size(); i += 3) {
        const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        *o++ = kAlphabet[(v >> 18) & 63];
        *o++ = kAlphabet[(v >> 12) & 63];
        *o++ = kAlphabet[(v >> 6) & 63];
        *o++ = kAlphabet[v & 63];
    }
    if (i + 1 == s.size()) {
        const std::uint32_t v = byte(i) << 16;
        *o++ = kAlphabet[(v >> 18) & 63];
        *o++ = kAlphabet[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (i + 2 == s.size()) {
        const std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
        *o++ = kAlphabet[(v >> 18) & 63];
        *o++ = kAlphabet[(v >> 12) & 63];
        *o++ = kAlphabet[(v >> 6) & 63];
        *o++ = '=';
    }
}

std::string base64(std::string_view s) {
    std::string out;
    append_base64(out, s);
    return out;
}

void append_escaped(std::string& out, std::string_view s, bool escape_quotes) {
    static constexpr char kHex[] = "0123456789abcdef";
    const bool* plain = kPlain.plain[escape_quotes ? 1 : 0];
    for (std::size_t i = 0; i < s.size();) {
        std::size_t j = i;  // printable ASCII runs are copied whole
        while (j < s.size() && plain[static_cast<unsigned char>(s[j])]) ++j;
        out.append(s.data() + i, j - i);
        i = j;
        if (i == s.size()) break;
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            if (const std::size_t n = utf8_len(s, i); n > 1) {
                out.append(s.data() + i, n);
                i += n;
                continue;
            }
        }
        if (c == '\\' || c == '"') {
            const char esc[2] = {'\\', static_cast<char>(c)};
            out.append(esc, 2);
        } else if (c == '\n') {
            out.append("\\n", 2);
        } else if (c == '\t') {
            out.append("\\t", 2);
        } else {
            const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
            out.append(esc, 4);
        }
        ++i;
    }
}

std::string escape_text(std::string_view s, bool escape_quotes) {
    std::string out;
    append_escaped(out, s, escape_quotes);
    return out;
}

void append_acl_text(std::string& out, const zab::Acl& a) {
    append_escaped(out, a.scheme);
    out += ':';
    append_escaped(out, a.id);
    out += '=';
    if (a.perms & 4) out += 'c';
    if (a.perms & 8) out += 'd';
    if (a.perms & 1) out += 'r';
    if (a.perms & 2) out += 'w';
    if (a.perms & 16) out += 'a';
    if (a.perms & ~31) out += fmt::format("+0x{:x}", a.perms & ~31);
}

std::string acl_text(const zab::Acl& a) {
    std::string out;
    append_acl_text(out, a);
    return out;
}

void append_shown_data(std::string& out, std::string_view value, bool hex, std::size_t cap) {
    const bool capped = value.size() > cap;
    const std::string_view shown = capped ? value.substr(0, cap) : value;
    if (hex) {
        for (unsigned char c : shown) {
            out += "0123456789abcdef"[c >> 4];
            out += "0123456789abcdef"[c & 15];
        }
    } else {
        out += '"';
        append_escaped(out, shown);
        out += '"';
    }
    if (capped) out += fmt::format("...({} bytes)", value.size());
}

void append_json_data(std::string& out, std::string_view name, std::string_view value, bool hex) {
    out += '"';
    out += name;
    if (hex) {
        out += "_hex\":\"";
        for (unsigned char c : value) {
            out += "0123456789abcdef"[c >> 4];
            out += "0123456789abcdef"[c & 15];
        }
        out += '"';
    } else if (is_valid_utf8(value)) {
        out += "\":";
        append_json_string(out, value);
    } else {
        out += "_base64\":";
        out += '"';
        append_base64(out, value);
        out += '"';
    }
}

std::size_t display_width(std::string_view s) {
    // wcwidth's answer depends on LC_CTYPE: ask it in C.UTF-8 whatever the
    // process's locale, so the columns do not depend on the environment.
    static const locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    const locale_t previous = utf8 != nullptr ? ::uselocale(utf8) : nullptr;
    std::size_t width = 0;
    std::mbstate_t state{};
    for (std::size_t i = 0; i < s.size();) {
        wchar_t wc = 0;
        const std::size_t n = std::mbrtowc(&wc, s.data() + i, s.size() - i, &state);
        if (n == 0 || n == static_cast<std::size_t>(-1) || n == static_cast<std::size_t>(-2)) {
            ++width;  // a byte that is not UTF-8 shows as one replacement glyph
            ++i;
            state = {};
            continue;
        }
        const int w = ::wcwidth(wc);
        width += w < 0 ? 1 : static_cast<std::size_t>(w);
        i += n;
    }
    if (previous != nullptr) ::uselocale(previous);
    return width;
}

std::string pad_to_width(std::string_view s, std::size_t width) {
    std::string out(s);
    const std::size_t w = display_width(s);
    if (w < width) out.append(width - w, ' ');
    return out;
}

}  // namespace zabra::tools
