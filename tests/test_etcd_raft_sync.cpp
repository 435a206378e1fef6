// zabra plan's raft half: how an etcd leader catches a follower up, from the
// two members' logs; on hand-made logs for each rule, and on the real cluster
// fixture, where member e3 was killed behind the others.
#include "helpers.h"
#include "libformat/etcd/member_dir.h"
#include "libformat/etcd/raft_sync.h"
#include "libformat/etcd/wal_writer.h"

#include <doctest/doctest.h>

using namespace zabra;
using namespace zabra::etcd;
namespace fs = std::filesystem;

namespace {

// A log whose entry first+i has terms[i].
RaftLog log_of(std::uint64_t first, std::vector<std::uint64_t> terms, std::uint64_t commit, std::uint64_t snap = 0) {
    RaftLog l;
    l.first_index = first;
    l.terms = std::move(terms);
    l.entry_bytes.assign(l.terms.size(), 10);
    l.commit = commit;
    l.snapshot_index = snap;
    l.snapshot_term = snap ? l.terms[snap - first] : 0;
    return l;
}

}  // namespace

TEST_CASE("raft sync: a follower whose log is a prefix of the leader's gets the missing entries") {
    const RaftSyncPlan p = plan_raft_sync(log_of(1, {1, 1, 2, 2, 2}, 5), log_of(1, {1, 1, 2}, 3));
    CHECK(p.kind == RaftSyncKind::Append);
    CHECK(p.match_index == 3);
    CHECK(p.match_term == 2);
    CHECK(p.append_first == 4);
    CHECK(p.append_last == 5);
    CHECK(p.append_bytes == 20);
    CHECK_FALSE(p.drop_first);
}

TEST_CASE("raft sync: a follower with entries of an old term after the match has them truncated") {
    // The follower was leader in term 2 and logged 4..6 that never committed.
    const RaftSyncPlan p = plan_raft_sync(log_of(1, {1, 1, 1, 3, 3}, 5), log_of(1, {1, 1, 1, 2, 2, 2}, 3));
    CHECK(p.kind == RaftSyncKind::TruncateAndAppend);
    CHECK(p.match_index == 3);
    CHECK(p.drop_first == 4);
    CHECK(p.drop_last == 6);
    CHECK(p.append_first == 4);
    CHECK(p.append_last == 5);
    CHECK(p.warnings.empty());
}

TEST_CASE("raft sync: a follower longer than the leader, agreeing up to the leader's end, loses only its tail") {
    const RaftSyncPlan p = plan_raft_sync(log_of(1, {1, 1, 2}, 3), log_of(1, {1, 1, 2, 2, 2}, 3));
    CHECK(p.kind == RaftSyncKind::Truncate);
    CHECK(p.match_index == 3);
    CHECK(p.drop_first == 4);
    CHECK(p.drop_last == 5);
}

TEST_CASE("raft sync: a leader compacted past the match sends its snapshot, then the entries after it") {
    std::vector<std::uint64_t> terms(100, 2);
    const RaftLog leader = log_of(1, terms, 100, 90);
    const RaftLog follower = log_of(1, std::vector<std::uint64_t>(40, 2), 40);
    CHECK(plan_raft_sync(leader, follower, 5000).kind == RaftSyncKind::Append);
    const RaftSyncPlan p = plan_raft_sync(leader, follower, 10);  // keeps 81.. only
    CHECK(p.kind == RaftSyncKind::Snapshot);
    CHECK(p.leader_first_available == 81);
    CHECK(p.match_index == 40);
    CHECK(p.snapshot_index == 90);
    CHECK(p.append_first == 91);
    CHECK(p.append_last == 100);
}

TEST_CASE("raft sync: identical logs need nothing, and a follower committed past the leader is a warning") {
    CHECK(plan_raft_sync(log_of(1, {1, 2, 2}, 3), log_of(1, {1, 2, 2}, 3)).kind == RaftSyncKind::UpToDate);
    const RaftSyncPlan p = plan_raft_sync(log_of(1, {1, 2, 2}, 3), log_of(1, {1, 2, 2, 2, 2}, 5));
    REQUIRE(p.warnings.size() == 2);
    CHECK(p.warnings[0].find("committed up to 5, past the match at 3") != std::string::npos);
    CHECK(p.warnings[1].find("lost entries") != std::string::npos);
}

TEST_CASE("raft sync: a member's log is read as raft replays it, later writes of an index replacing earlier ones") {
    test::TempDir tmp;
    const fs::path wal = tmp.path() / "member" / "wal";
    fs::create_directories(wal);
    WalEncoder enc;
    enc.crc_record();
    enc.metadata({0xabc, 1});
    enc.snapshot({0, 0, std::nullopt});
    for (std::uint64_t i = 1; i <= 6; ++i) enc.entry({0, 1, i, {}});
    enc.entry({0, 2, 4, {}});  // a new leader's entry replaces 4..6
    enc.hard_state({2, 0xabc, 3});
    test::spit(wal / segment_file_name(0, 0), enc.preallocated(8192));
    const RaftLog l = load_raft_log(list_member_dir(tmp.path()));
    CHECK(l.node_id == 0xabc);
    CHECK(l.first_index == 1);
    CHECK(l.last_index() == 4);
    CHECK(l.term_at(4) == 2);
    CHECK(l.term_at(3) == 1);
    CHECK(l.commit == 3);
    CHECK(l.problems.empty());
}

TEST_CASE("raft sync: on the real cluster, the killed member e3 is appended to from its last entry, or sent a snapshot") {
    test::TempDir tmp;
    const fs::path e1 = test::restore_etcd_member("e1", tmp.path());
    const fs::path e3 = test::restore_etcd_member("e3", tmp.path());
    const RaftLog leader = load_raft_log(list_member_dir(e1));
    const RaftLog follower = load_raft_log(list_member_dir(e3));
    const RaftSyncPlan p = plan_raft_sync(leader, follower);
    CHECK(p.kind == RaftSyncKind::Append);
    CHECK(p.match_index == follower.last_index());
    CHECK(p.append_first == follower.last_index() + 1);
    CHECK(p.append_last == leader.last_index());
    const test::CommandResult r = test::run_command(
        {ZABRA_BINARY, "plan", "--leader", e1.string(), "--learner", e3.string(), "--catch-up-entries", "0", "--json"});
    CHECK(r.status == 13);
    CHECK(r.out.find("\"kind\":\"SNAPSHOT\"") != std::string::npos);
    CHECK(test::run_command({ZABRA_BINARY, "plan", "--leader", e1.string(), "--learner", e3.string()}).status == 10);
}

TEST_CASE("raft sync: a leader whose WAL holds no entry (all in its snapshot) plans without reading entries it lacks") {
    RaftLog leader;
    leader.snapshot_index = 40;
    leader.snapshot_term = 3;
    leader.commit = 40;
    const RaftLog follower = log_of(1, {1, 1, 2}, 3);
    const RaftSyncPlan p = plan_raft_sync(leader, follower, 5000);
    CHECK(p.append_bytes == 0);
    CHECK(p.kind == RaftSyncKind::Snapshot);
}
