// Aggregates over txn logs and snapshots for `zabra stats`.
#pragma once

#include "libformat/zab/snapshot.h"
#include "libformat/zab/txn.h"

#include <map>
#include <optional>
#include <string>

namespace zabra::zab {

struct Tally {
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;  // payload bytes (logs) or data bytes (snapshots)
    void add(std::uint64_t n) {
        ++count;
        bytes += n;
    }
};

// The first `depth` components of a path: "/a/b/c" at depth 2 is "/a/b";
// depth 0 is "/".
std::string path_prefix(std::string_view path, int depth);

struct LogStats {
    int depth = 1;
    Tally total;
    std::optional<std::int64_t> first_zxid, last_zxid;
    std::optional<std::int64_t> first_time, last_time;  // ms since the epoch
    std::map<std::int32_t, Tally> by_type;   // multi ops are counted under their own types too, see ops_by_type
    std::map<std::int32_t, Tally> ops_by_type;
    std::map<std::int64_t, Tally> by_session;
    std::map<std::int64_t, Tally> by_epoch;
    std::map<std::string, Tally> by_prefix;  // a multi's ops each count under their path
    std::map<std::int64_t, std::uint64_t> per_second;  // txns by second of their time

    void add(const Txn& t, std::uint64_t payload_bytes);
};

struct SubtreeTally {
    std::uint64_t nodes = 0;  // the node itself and its descendants
    std::uint64_t data_bytes = 0;
    std::uint64_t ephemerals = 0;
};

struct SnapshotStats {
    int depth = 1;
    std::uint64_t nodes = 0;
    std::uint64_t data_bytes = 0;
    std::uint64_t ephemerals = 0;
    std::uint64_t containers = 0;
    std::uint64_t ttls = 0;
    std::uint64_t sessions = 0;
    std::uint64_t acls = 0;
    std::int64_t max_mzxid = 0;
    std::map<std::string, SubtreeTally> subtrees;  // every node down to `depth`, with its whole subtree

    void add(const SnapshotNode& n);
};

}  // namespace zabra::zab
