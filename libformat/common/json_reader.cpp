#include "libformat/common/json_reader.h"

#include "libformat/common/error.h"

#include <fmt/format.h>

namespace zabra {

namespace {

class Parser {
public:
    explicit Parser(std::string_view s) : m_s(s) {}

    JsonValue document() {
        JsonValue v = value(0);
        blanks();
        if (m_at != m_s.size()) fail("text after the JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(fmt::format("JSON: {} at byte {}", what, m_at), m_at);
    }
    void blanks() {
        while (m_at < m_s.size() && (m_s[m_at] == ' ' || m_s[m_at] == '\t' || m_s[m_at] == '\n' || m_s[m_at] == '\r')) {
            ++m_at;
        }
    }
    bool take(char c) {
        blanks();
        if (m_at < m_s.size() && m_s[m_at] == c) {
            ++m_at;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!take(c)) fail(fmt::format("expected '{}'", c));
    }
    bool word(std::string_view w) {
        if (m_s.substr(m_at, w.size()) != w) return false;
        m_at += w.size();
        return true;
    }

    JsonValue value(int depth) {
        if (depth > 64) fail("nesting deeper than 64");
        blanks();
        if (m_at >= m_s.size()) fail("unexpected end");
        const char c = m_s[m_at];
        JsonValue v;
        if (c == '{') {
            ++m_at;
            JsonValue::Object o;
            if (!take('}')) {
                do {
                    blanks();
                    std::string key = string();
                    expect(':');
                    o[std::move(key)] = value(depth + 1);
                } while (take(','));
                expect('}');
            }
            v.v = std::move(o);
        } else if (c == '[') {
            ++m_at;
            JsonValue::Array a;
            if (!take(']')) {
                do a.push_back(value(depth + 1));
                while (take(','));
                expect(']');
            }
            v.v = std::move(a);
        } else if (c == '"') {
            v.v = string();
        } else if (word("true")) {
            v.v = true;
        } else if (word("false")) {
            v.v = false;
        } else if (word("null")) {
            v.v = nullptr;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const std::size_t start = m_at;
            while (m_at < m_s.size() && std::string_view("+-0123456789.eE").find(m_s[m_at]) != std::string_view::npos) {
                ++m_at;
            }
            v.v = JsonValue::Number{std::string(m_s.substr(start, m_at - start))};
        } else {
            fail(fmt::format("unexpected character '{}'", c));
        }
        return v;
    }

    std::string string() {
        if (m_at >= m_s.size() || m_s[m_at] != '"') fail("expected a string");
        ++m_at;
        std::string out;
        while (m_at < m_s.size() && m_s[m_at] != '"') {
            char c = m_s[m_at++];
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (m_at >= m_s.size()) break;
            c = m_s[m_at++];
            switch (c) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                if (m_at + 4 > m_s.size() ||
                    m_s.substr(m_at, 4).find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
                    fail("bad \\u escape");
                }
                const unsigned cp = static_cast<unsigned>(std::stoul(std::string(m_s.substr(m_at, 4)), nullptr, 16));
                m_at += 4;
                if (cp < 0x80) {
                    out += static_cast<char>(cp);
                } else if (cp < 0x800) {
                    out += static_cast<char>(0xc0 | (cp >> 6));
                    out += static_cast<char>(0x80 | (cp & 0x3f));
                } else {
                    out += static_cast<char>(0xe0 | (cp >> 12));
                    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
                    out += static_cast<char>(0x80 | (cp & 0x3f));
                }
                break;
            }
            default: fail("bad escape");
            }
        }
        if (m_at >= m_s.size()) fail("unterminated string");
        ++m_at;
        return out;
    }

    std::string_view m_s;
    std::size_t m_at = 0;
};

}  // namespace

const JsonValue* JsonValue::get(const std::string& key) const {
    const Object* o = object();
    if (o == nullptr) return nullptr;
    auto it = o->find(key);
    return it == o->end() ? nullptr : &it->second;
}

JsonValue parse_json(std::string_view text) { return Parser(text).document(); }

}  // namespace zabra
