#include "libformat/common/java_text.h"

#include "libformat/common/bytes.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

namespace zabra::java {

// new String(bytes, UTF_8) as JDK 17 decodes (String.decodeUTF8_UTF16 with
// replacement): how many bytes one U+FFFD swallows follows its rules exactly.
void append_utf8(std::string& out, std::string_view s) {
    static constexpr std::string_view kRepl = "\xef\xbf\xbd";
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    auto not_cont = [](unsigned char b) { return (b & 0xc0) != 0x80; };
    const std::size_t sl = s.size();
    std::size_t sp = 0;
    while (sp < sl) {
        const std::size_t ascii_end = ascii_run_end(s, sp);  // ASCII is kept as it is
        if (ascii_end > sp) {
            out.append(s.substr(sp, ascii_end - sp));
            sp = ascii_end;
            continue;
        }
        const unsigned char b1 = at(sp++);
        if (b1 >= 0xc2 && b1 <= 0xdf) {
            if (sp < sl) {
                if (not_cont(at(sp))) {
                    out += kRepl;
                } else {
                    out.append(s.substr(sp - 1, 2));
                    ++sp;
                }
                continue;
            }
            out += kRepl;
            break;
        } else if (b1 >= 0xe0 && b1 <= 0xef) {
            if (sp + 1 < sl) {
                const unsigned char b2 = at(sp), b3 = at(sp + 1);
                const bool overlong = b1 == 0xe0 && (b2 & 0xe0) == 0x80;
                if (overlong || not_cont(b2) || not_cont(b3)) {
                    out += kRepl;
                    sp += (overlong || not_cont(b2)) ? 0 : 1;
                } else {
                    const bool surrogate = b1 == 0xed && b2 >= 0xa0;
                    if (surrogate) {
                        out += kRepl;
                    } else {
                        out.append(s.substr(sp - 1, 3));
                    }
                    sp += 2;
                }
                continue;
            }
            if (sp < sl && ((b1 == 0xe0 && (at(sp) & 0xe0) == 0x80) || not_cont(at(sp)))) {
                out += kRepl;
                continue;
            }
            out += kRepl;
            break;
        } else if (b1 >= 0xf0 && b1 <= 0xf7) {
            auto bad2 = [&](unsigned char b2) {
                return (b1 == 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (b1 == 0xf4 && (b2 & 0xf0) != 0x80) ||
                       not_cont(b2);
            };
            if (sp + 2 < sl) {
                const unsigned char b2 = at(sp), b3 = at(sp + 1), b4 = at(sp + 2);
                const std::uint32_t uc = ((b1 & 0x07u) << 18) | ((b2 & 0x3fu) << 12) | ((b3 & 0x3fu) << 6) |
                                         (b4 & 0x3fu);
                if (not_cont(b2) || not_cont(b3) || not_cont(b4) || uc < 0x10000 || uc > 0x10ffff) {
                    out += kRepl;
                    // malformed4: 1, 2 or 3 bytes in all, counted from b1
                    if (b1 > 0xf4 || bad2(b2)) {
                    } else if (not_cont(b3)) {
                        sp += 1;
                    } else {
                        sp += 2;
                    }
                } else {
                    out.append(s.substr(sp - 1, 4));
                    sp += 3;
                }
                continue;
            }
            if (b1 > 0xf4 || (sp < sl && bad2(at(sp)))) {
                out += kRepl;
                continue;
            }
            ++sp;
            out += kRepl;
            if (sp < sl && not_cont(at(sp))) continue;
            break;
        } else {
            out += kRepl;
        }
    }
}

std::string utf8(std::string_view s) {
    std::string out;
    append_utf8(out, s);
    return out;
}

// Java's Double.toString: the shortest digits that read back as `value`,
// plain for 1e-3 <= |value| < 1e7 with at least one fractional digit
// ("4.0", "1.1429"), otherwise computerized scientific ("1.0E-4", "1.2345678E7").
std::string double_text(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
    if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";

    // to_chars without a precision gives the shortest round-trip digits, e.g. "-1.1429e+00".
    std::array<char, 64> buf{};
    const auto [end, ec] =
        std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
    if (ec != std::errc{}) return fmt::format("{}", value);
    const std::string_view sci(buf.data(), static_cast<std::size_t>(end - buf.data()));
    const auto e_pos = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e_pos))
        if (c >= '0' && c <= '9') digits += c;
    int exponent = 0;
    const auto exp_text = sci.substr(e_pos + 1);
    const char* exp_begin = exp_text.data() + (exp_text.front() == '+' ? 1 : 0);
    std::from_chars(exp_begin, exp_text.data() + exp_text.size(), exponent);

    std::string out = value < 0 ? "-" : "";
    const double magnitude = std::fabs(value);
    if (magnitude >= 1e-3 && magnitude < 1e7) {
        const int integer_digits = exponent + 1;
        if (integer_digits <= 0) {
            out += "0.";
            out.append(static_cast<std::size_t>(-integer_digits), '0');
            out += digits;
        } else {
            const auto n = static_cast<std::size_t>(integer_digits);
            if (digits.size() < n) digits.append(n - digits.size(), '0');
            out += digits.substr(0, n);
            out += '.';
            out += digits.size() > n ? digits.substr(n) : "0";
        }
    } else {
        out += digits.front();
        out += '.';
        out += digits.size() > 1 ? digits.substr(1) : "0";
        out += fmt::format("E{}", exponent);
    }
    return out;
}

// Long.toHexString: two's complement, so -1 prints as ffffffffffffffff.
std::string hex(std::int64_t value) { return fmt::format("{:x}", static_cast<std::uint64_t>(value)); }

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            parts.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    parts.push_back(std::move(cur));
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
    if (parts.empty() && s.empty()) parts.emplace_back();  // "".split(x) is [""]
    return parts;
}

std::optional<std::int64_t> parse_long(std::string_view s) {
    // from_chars takes a '-' but not a '+', and nothing else Long.parseLong refuses.
    const std::size_t skip = s.size() > 1 && s[0] == '+' && s[1] != '-' ? 1 : 0;
    std::int64_t v = 0;
    const auto r = std::from_chars(s.data() + skip, s.data() + s.size(), v);
    if (s.size() == skip || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace zabra::java
