// Text as Java prints it, for output that must equal a JVM's byte for byte:
// zabra dump --format zk (TxnLogToolkit, SnapshotFormatter) and zabra-node's
// four-letter words (ZooKeeper's PrintWriter). One file, so the two agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zabra::java {

// new String(bytes, UTF_8) as JDK 17 decodes it: malformed input becomes
// U+FFFD, each swallowing exactly the bytes the JDK's decoder does.
void append_utf8(std::string& out, std::string_view bytes);
std::string utf8(std::string_view bytes);

// Double.toString: the shortest digits that read back as `value`, plain for
// 1e-3 <= |value| < 1e7 ("4.0", "1.1429"), else "1.0E-4", "1.2345678E7".
std::string double_text(double value);

// Long.toHexString: two's complement, lower case, no leading zeros.
std::string hex(std::int64_t value);

// And text as Java reads it, for configs and files ZooKeeper parses:
// String.split at one character (trailing empty parts dropped; "" gives one
// empty part), and Long.parseLong (an optional sign, then decimal digits
// only, within int64; nothing else, no blanks).
std::vector<std::string> split(std::string_view s, char sep);
std::optional<std::int64_t> parse_long(std::string_view s);

}  // namespace zabra::java
