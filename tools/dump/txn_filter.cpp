#include "tools/dump/txn_filter.h"

#include "libformat/zab/data_dir.h"

#include <fnmatch.h>

#include <charconv>

namespace zabra::tools {

namespace {

std::optional<std::uint64_t> parse_number(std::string_view s) {
    int base = 10;
    if (s.starts_with("0x") || s.starts_with("0X")) {
        s.remove_prefix(2);
        base = 16;
    }
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

bool path_matches(const std::string& pattern, const std::string& path) {
    if (pattern.find_first_of("*?[") != std::string::npos) {
        return ::fnmatch(pattern.c_str(), path.c_str(), 0) == 0;
    }
    // A prefix matches the node and its subtree: "/app" matches "/app" and
    // "/app/x", not "/apple".
    if (!path.starts_with(pattern)) return false;
    return path.size() == pattern.size() || pattern.ends_with("/") || path[pattern.size()] == '/';
}

bool any_path_matches(const std::vector<std::string>& patterns, const std::string& path) {
    for (const auto& p : patterns) {
        if (path_matches(p, path)) return true;
    }
    return false;
}

}  // namespace

std::optional<std::int64_t> parse_zxid(std::string_view text) {
    if (const auto colon = text.find(':'); colon != std::string_view::npos) {
        const auto e = parse_number(text.substr(0, colon));
        const auto c = parse_number(text.substr(colon + 1));
        if (!e || !c || *e > 0x7fffffff || *c > 0xffffffff) return std::nullopt;
        return static_cast<std::int64_t>((*e << 32) | *c);
    }
    const auto v = parse_number(text);
    if (!v || *v > 0x7fffffffffffffffull) return std::nullopt;
    return static_cast<std::int64_t>(*v);
}

std::optional<std::int64_t> parse_session(std::string_view text) {
    const auto v = parse_number(text);
    if (!v) return std::nullopt;
    return static_cast<std::int64_t>(*v);
}

bool TxnFilter::matches(const zab::Txn& t) const {
    const auto& h = t.header;
    if (from && h.zxid < *from) return false;
    if (to && h.zxid > *to) return false;
    if (!epochs.empty() && !epochs.count(zab::zxid_epoch(h.zxid))) return false;
    if (!sessions.empty() && !sessions.count(h.client_id)) return false;
    const auto* multi = std::get_if<zab::MultiTxn>(&t.body);
    if (!types.empty() && !types.count(h.type)) {
        bool sub = false;
        if (multi != nullptr && multi->ops) {
            for (const auto& op : *multi->ops) sub = sub || types.count(op.type);
        }
        if (!sub) return false;
    }
    if (!paths.empty()) {
        if (const std::string* p = zab::txn_path(t.body)) return any_path_matches(paths, *p);
        if (multi != nullptr && multi->ops) {
            for (const auto& op : *multi->ops) {
                if (const std::string* p = zab::txn_path(op.body); p && any_path_matches(paths, *p)) return true;
            }
        }
        if (const auto* close = std::get_if<zab::CloseSessionTxn>(&t.body);
            close != nullptr && close->paths_to_delete && *close->paths_to_delete) {
            for (const auto& p : **close->paths_to_delete) {
                if (any_path_matches(paths, p)) return true;
            }
        }
        return false;
    }
    return true;
}

bool TxnFilter::matches_node(const zab::SnapshotNode& n) const {
    return paths.empty() || any_path_matches(paths, n.path.empty() ? "/" : n.path);
}

bool TxnFilter::may_match_range(std::int64_t first, std::optional<std::int64_t> next_first) const {
    if (to && first > *to) return false;
    if (from && next_first && *next_first <= *from) return false;
    return true;
}

}  // namespace zabra::tools
