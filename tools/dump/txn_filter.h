// Which txns and nodes `zabra dump` prints.
#pragma once

#include "libformat/zab/snapshot.h"
#include "libformat/zab/txn.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace zabra::tools {

struct TxnFilter {
    std::optional<std::int64_t> from;  // zxid, inclusive
    std::optional<std::int64_t> to;    // zxid, inclusive
    std::set<std::int64_t> epochs;
    std::set<std::int64_t> sessions;
    std::vector<std::string> paths;  // a prefix, or a glob when it has * ? or [
    std::set<std::int32_t> types;

    bool empty() const {
        return !from && !to && epochs.empty() && sessions.empty() && paths.empty() && types.empty();
    }
    bool matches(const zab::Txn& t) const;
    bool matches_node(const zab::SnapshotNode& n) const;  // only the path filter applies to nodes
    // A log whose txns all lie in [first, next_first) can be skipped.
    bool may_match_range(std::int64_t first, std::optional<std::int64_t> next_first) const;
};

// "0x1a2", "418", or "epoch:counter" ("3:17", "0x3:0x11"); nullopt if malformed.
std::optional<std::int64_t> parse_zxid(std::string_view text);
// A session id: "0x..." in hex (as ZooKeeper prints them), anything else decimal.
std::optional<std::int64_t> parse_session(std::string_view text);

}  // namespace zabra::tools
