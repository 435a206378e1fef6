// How an etcd (raft) leader will bring a follower up to date, computed
// offline from both members' WALs: the match index (the last index where the
// two logs hold the same term, so by raft's log matching everything before
// agrees too), the follower's conflicting suffix that raft truncates, the
// entries the leader appends, or a snapshot when the leader no longer has the
// entry after the match (its log was compacted past it).
//
// The leader's retained log is modelled as a running etcd keeps it: after
// each snapshot at index S, etcd compacts its raft log to S - catch-up
// entries (SnapshotCatchUpEntries, 5000), so followers that lag less than
// that are fed entries, not a snapshot. A leader restarted since S holds
// only S+1.. (etcd rebuilds its raft log from the .snap and the WAL after
// it): that is catch-up entries 0.
//
// The snapshot etcd 3.4 sends is not raft's (the .snap at S): etcdserver
// takes raft's MsgSnap off the wire and sends a merged snapshot instead, at
// the leader's applied index and term, carrying the whole bbolt db
// (createMergedSnapshotMessage). The follower answers with that index, so
// the leader goes on with the entries after it.
#pragma once

#include "libformat/etcd/member_dir.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zabra::etcd {

// A member's log as raft would have it after replaying its WAL (later writes
// of an index replace earlier ones).
struct RaftLog {
    std::uint64_t node_id = 0;
    std::uint64_t first_index = 0;  // first entry in the WAL (0: none)
    std::vector<std::uint64_t> terms;        // terms[i] is the term of entry first_index + i
    std::vector<std::uint64_t> entry_bytes;  // entry data sizes, likewise
    std::uint64_t snapshot_index = 0, snapshot_term = 0;  // newest .snap (or WAL snapshot record) etcd would use
    std::uint64_t commit = 0;       // last HardState
    std::uint64_t hard_term = 0;    // last HardState's term
    std::optional<std::uint64_t> db_bytes;  // snap/db's size (a merged snapshot carries it); none: no db
    std::vector<std::string> problems;  // damage met while reading (the log stops there)

    std::uint64_t last_index() const { return terms.empty() ? snapshot_index : first_index + terms.size() - 1; }
    // The term of entry i, if this log holds it.
    std::optional<std::uint64_t> term_at(std::uint64_t i) const;
};

RaftLog load_raft_log(const MemberDir& member);

enum class RaftSyncKind { UpToDate, Append, Truncate, TruncateAndAppend, Snapshot };
const char* raft_sync_kind_name(RaftSyncKind k);  // "UP_TO_DATE", "APPEND", "TRUNCATE", "TRUNCATE+APPEND", "SNAPSHOT"

struct RaftSyncPlan {
    RaftSyncKind kind = RaftSyncKind::UpToDate;
    std::uint64_t match_index = 0, match_term = 0;
    // The follower's entries after the match that raft drops (they disagree
    // with the leader's, or the leader has nothing there yet).
    std::optional<std::uint64_t> drop_first, drop_last;
    // The leader's entries sent after the match (or after the snapshot).
    std::optional<std::uint64_t> append_first, append_last;
    std::uint64_t append_bytes = 0;
    std::uint64_t leader_first_available = 0;  // the leader's first entry not compacted away
    // Snapshot only: the merged snapshot, at the leader's applied index as
    // estimated from its WAL (its commit, or its last entry when that is
    // lower: `applied_from` says which), its term when the log holds it, and
    // its size, the leader's db (none when the leader has no snap/db).
    std::optional<std::uint64_t> snapshot_index, snapshot_term;
    std::string applied_from;  // "commit" or "last index"
    std::optional<std::uint64_t> snapshot_bytes;
    std::string rule;    // short stable name of the deciding rule
    std::string reason;  // one line, for people
    std::vector<std::string> warnings;  // e.g. the follower committed entries the leader lacks
};

RaftSyncPlan plan_raft_sync(const RaftLog& leader, const RaftLog& follower, std::uint64_t catch_up_entries = 5000);

}  // namespace zabra::etcd
