// How a ZooKeeper 3.8 leader brings a learner up to date: LearnerHandler
// .syncFollower and queueCommittedProposals, decided from zxid lists alone.
//
//   order  condition (signed compares; min = max = lp when the committed log is empty)   plan
//   1      force_snap                                                                    SNAP
//   2      lp == peer                                                                    EMPTY_DIFF: DIFF(peer)
//   3      peer > max and counter(peer) != 0                                             TRUNC(max)
//   4      min <= peer <= max                    walk(committed, peer, D = max); aborted -> SNAP
//   5      peer < min, txn-log sync on           walk(on-disk, peer, up to min), then walk(committed);
//                                                no on-disk txn at or before peer, or a gap -> SNAP
//   6      otherwise                                                                     SNAP
//
//   walk: the learner has peer -> DIFF(D) + every zxid > peer; peer is a new-epoch zxid
//   (counter 0) -> the same; else next = first zxid > peer, prev = last zxid < peer:
//   epoch(next) == epoch(peer) -> TRUNC(prev) + next..; otherwise the walk aborts (SNAP:
//   ZooKeeper never sends a TRUNC across epochs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zabra::zab {

struct LeaderState {
    std::vector<std::int64_t> committed;               // the committed log, in order
    std::optional<std::vector<std::int64_t>> txnlog;   // the on-disk log, in order; none: no log
    std::int64_t last_processed = 0;                   // the data tree's lastProcessedZxid
    bool force_snap = false;                           // zookeeper.forceSnapshotSync
    bool txnlog_sync = true;                           // zookeeper.snapshotSizeFactor >= 0
    // The on-disk read from the peer's zxid exceeds the size limit
    // (snapshot size x snapshotSizeFactor): ZooKeeper then reads nothing.
    bool txnlog_over_limit = false;
};

enum class SyncKind { EmptyDiff, Diff, Trunc, TruncDiff, Snap };
const char* sync_kind_name(SyncKind k);  // "EMPTY_DIFF", "DIFF", "TRUNC", "TRUNC+DIFF", "SNAP"

struct SyncPlan {
    SyncKind kind = SyncKind::Snap;
    std::optional<std::int64_t> trunc_to;   // the TRUNC packet's zxid
    std::optional<std::int64_t> diff_zxid;  // the DIFF packet's zxid
    std::vector<std::int64_t> proposals;    // PROPOSAL+COMMIT pairs, in order
    std::int64_t current_zxid = 0;          // what startForwarding is given
    std::string rule;                       // short id of the rule that decided
    std::string reason;                     // the same in plain words
};

SyncPlan plan_sync(const LeaderState& leader, std::int64_t peer);

}  // namespace zabra::zab

namespace zabra {
struct JsonValue;
}

namespace zabra::zab {

// A zxid as plans write it: "0x…" (0xffffffffffffffff is -1), decimal, or -1.
std::optional<std::int64_t> parse_plan_zxid(std::string_view text);

// The what-if leader state, {"committed": ["0x…", …], "txnlog": [...] | null,
// "last_processed": "0x…", "force_snap": false, "txnlog_sync": true}; other
// members are ignored. Throws std::runtime_error naming what is wrong.
LeaderState leader_state_from_json(const JsonValue& doc);

}  // namespace zabra::zab
