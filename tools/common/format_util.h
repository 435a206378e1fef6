// Small formatting helpers shared by the printers.
#pragma once

#include "libformat/common/bytes.h"  // ascii_run_end

#include "libformat/zab/txn.h"

#include <climits>
#include <string>
#include <string_view>

namespace zabra::tools {

// "0x" + lower-case hex without leading zeros, as in the JSON output.
std::string hex_id(std::int64_t v);

// A text per whole second, cached per thread: txns come many to a second,
// and a node's ctime and mtime alternate, so the last two are kept.
// `format(secs, utc)` makes the text for one second.
template <class Format>
const std::string& per_second(std::int64_t epoch_ms, bool utc, Format format) {
    struct Cached {
        std::int64_t secs = INT64_MIN;
        bool utc = true;
        std::string text;
    };
    thread_local Cached cache[2];
    thread_local int next = 0;
    const std::int64_t secs = epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000;
    for (const Cached& c : cache) {
        if (c.secs == secs && c.utc == utc) return c.text;
    }
    Cached& c = cache[next];
    next ^= 1;
    c.secs = secs;
    c.utc = utc;
    c.text = format(secs, utc);
    return c.text;
}

// ISO-8601 with milliseconds, UTC ("...Z") or local time with offset.
std::string iso_time(std::int64_t epoch_ms, bool utc);

// JSON string literal (with quotes), always valid UTF-8: CESU-8 surrogates
// (Java's encoding of non-BMP characters) become \uXXXX escapes, any other
// invalid byte U+FFFD. Callers that must not lose bytes check is_valid_utf8
// first and fall back to base64.
std::string json_string(std::string_view s);
bool is_valid_utf8(std::string_view s);
std::string base64(std::string_view s);

// Safe for a terminal: printable ASCII and valid UTF-8 kept, everything else
// as \xNN (and \n, \t, \\, \").
std::string escape_text(std::string_view s, bool escape_quotes = true);

// Columns `s` takes on a terminal (valid UTF-8: wide characters count 2,
// combining marks 0), and `s` padded with spaces to `width` columns.
std::size_t display_width(std::string_view s);
std::string pad_to_width(std::string_view s, std::size_t width);

// "world:anyone=cdrwa" style.
std::string acl_text(const zab::Acl& a);

// Appending forms, for the printers' hot paths (no temporaries).
// "0x" and the hex digits, at least `min_digits` of them (zero-padded).
void append_hex_id(std::string& out, std::int64_t v, int min_digits = 1);
void append_decimal(std::string& out, std::int64_t v);
void append_base64(std::string& out, std::string_view s);
void append_iso_time(std::string& out, std::int64_t epoch_ms, bool utc);
void append_json_string(std::string& out, std::string_view s);
void append_escaped(std::string& out, std::string_view s, bool escape_quotes = true);
void append_acl_text(std::string& out, const zab::Acl& a);

// Data (node data, keys, values) for people: escaped in quotes, or hex;
// cut at `cap` bytes (SIZE_MAX: never) with "...(N bytes)" after.
void append_shown_data(std::string& out, std::string_view value, bool hex, std::size_t cap);
// Data in JSON, no byte lost: "name":"text" when it is valid UTF-8, else
// "name_base64":"..."; with `hex`, "name_hex":"...".
void append_json_data(std::string& out, std::string_view name, std::string_view value, bool hex);

}  // namespace zabra::tools
