// Escaping rules that keep dump output safe for terminals and parsers.
#include "tools/common/format_util.h"

#include <doctest/doctest.h>

using namespace zabra::tools;

TEST_CASE("json_string always produces valid UTF-8 JSON") {
    CHECK(json_string("plain /path") == "\"plain /path\"");
    CHECK(json_string("q\"b\\\n\t\x01") == "\"q\\\"b\\\\\\n\\t\\u0001\"");
    CHECK(json_string("\xc3\xa9\xe6\x97\xa5") == "\"\xc3\xa9\xe6\x97\xa5\"");  // é日 pass through
    // Java writes U+1F600 as a CESU-8 surrogate pair: JSON gets \u escapes.
    CHECK(json_string("\xed\xa0\xbd\xed\xb8\x80") == "\"\\ud83d\\ude00\"");
    CHECK(json_string("\xff\x80") == "\"\\ufffd\\ufffd\"");
}

TEST_CASE("is_valid_utf8 rejects surrogates, overlongs and stray bytes") {
    CHECK(is_valid_utf8("abc \xc3\xa9 \xf0\x9f\x98\x80"));
    CHECK_FALSE(is_valid_utf8("\xed\xa0\xbd"));  // surrogate
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));      // overlong
    CHECK_FALSE(is_valid_utf8("\x80"));
    CHECK_FALSE(is_valid_utf8("\xe6\x97"));      // cut short
}

TEST_CASE("escape_text keeps printable UTF-8 and escapes everything else") {
    CHECK(escape_text("a\xc3\xa9") == "a\xc3\xa9");
    CHECK(escape_text(std::string("\x00\x1b[31m", 6)) == "\\x00\\x1b[31m");  // no terminal escapes get through
    CHECK(escape_text("\xed\xa0\x80") == "\\xed\\xa0\\x80");
}

TEST_CASE("base64 matches RFC 4648 vectors") {
    CHECK(base64("") == "");
    CHECK(base64("f") == "Zg==");
    CHECK(base64("fo") == "Zm8=");
    CHECK(base64("foo") == "Zm9v");
    CHECK(base64("foobar") == "Zm9vYmFy");
}

TEST_CASE("json_string and is_valid_utf8 treat a byte the same wherever it falls in a long ASCII run") {
    // Long plain runs are scanned eight bytes at a time; a byte that needs
    // escaping must be caught at each of the eight lanes and in the tail.
    for (int b = 0; b < 256; ++b) {
        const char c = static_cast<char>(b);
        const std::string alone = json_string(std::string(1, c));
        const std::string inner = alone.substr(1, alone.size() - 2);
        for (std::size_t pos = 0; pos < 19; ++pos) {
            std::string s(19, 'a');
            s[pos] = c;
            std::string expected(1, '"');  // (built by appends: GCC 12 warns falsely on "x" + string)
            expected.append(pos, 'a').append(inner).append(18 - pos, 'a').push_back('"');
            INFO("byte ", b, " at ", pos);
            CHECK(json_string(s) == expected);
            CHECK(is_valid_utf8(s) == (b < 0x80));
        }
    }
}

TEST_CASE("display_width counts terminal columns: wide characters two, combining marks none") {
    CHECK(display_width("/app/config") == 11);
    CHECK(display_width("/\xe6\x97\xa5\xe6\x9c\xac") == 5);     // "/日本": two wide characters
    CHECK(display_width("e\xcc\x81") == 1);                      // e + combining acute accent
    CHECK(display_width("caf\xc3\xa9") == 4);                    // "café", precomposed
    CHECK(pad_to_width("/\xe6\x97\xa5\xe6\x9c\xac", 8) == "/\xe6\x97\xa5\xe6\x9c\xac   ");
    CHECK(pad_to_width("longer than that", 4) == "longer than that");
}
