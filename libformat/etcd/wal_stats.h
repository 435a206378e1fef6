// Aggregates over an etcd member's WAL for `zabra stats`: records by kind,
// entries by request, term and key prefix, who wrote them.
#pragma once

#include "libformat/etcd/member_dir.h"
#include "libformat/etcd/raft_records.h"
#include "libformat/etcd/request.h"
#include "libformat/zab/stats.h"

#include <map>
#include <optional>
#include <string>

namespace zabra::etcd {

using zab::Tally;

struct WalStats {
    int depth = 1;  // key prefix depth, on '/'
    std::uint64_t segments = 0;
    std::uint64_t wal_bytes = 0;  // of frames read
    std::map<std::string, std::uint64_t> records;  // by record kind
    Tally entries;                                  // bytes: entry data
    std::optional<std::uint64_t> first_index, last_index;
    std::map<std::uint64_t, Tally> by_term;
    std::map<std::string, Tally> by_op;      // "put", "txn", "conf_change", "v2 PUT", "noop", ...
    std::map<std::string, Tally> by_prefix;  // keys of puts, deletes and txn branches
    std::map<std::string, Tally> by_user;    // the header's username, "" when none
    std::optional<HardState> hard_state;     // the last one
    bool damaged = false;                    // a segment ended in damage, or a record did not decode

    void add_entry(const Entry& e, const RequestSummary& s);
};

// The first `depth` '/'-separated parts of a key: "a/b/c" at depth 1 is "a/",
// "/a/b" at depth 1 is "/a/"; a key with fewer parts is itself.
std::string key_prefix(std::string_view key, int depth);

WalStats wal_stats(const std::vector<SegmentFile>& segments, int depth);

}  // namespace zabra::etcd
