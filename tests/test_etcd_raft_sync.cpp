// zabra plan's raft half: how an etcd leader catches a follower up, from the
// two members' logs; on hand-made logs for each rule, and on the real cluster
// fixture, where member e3 was killed behind the others.
#include "helpers.h"
#include "libformat/common/json_reader.h"
#include "libformat/etcd/member_dir.h"
#include "libformat/etcd/raft_sync.h"
#include "libformat/etcd/wal_writer.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>

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

TEST_CASE("raft sync: a leader compacted past the match sends a merged snapshot at its applied index, its commit") {
    std::vector<std::uint64_t> terms(100, 2);
    terms[95] = 3;  // 96..100 are of term 3
    RaftLog leader = log_of(1, terms, 96, 90);  // committed (so applied) up to 96, logged up to 100
    const RaftLog follower = log_of(1, std::vector<std::uint64_t>(40, 2), 40);
    CHECK(plan_raft_sync(leader, follower, 5000).kind == RaftSyncKind::Append);
    const RaftSyncPlan p = plan_raft_sync(leader, follower, 10);  // keeps 81.. only
    CHECK(p.kind == RaftSyncKind::Snapshot);
    CHECK(p.leader_first_available == 81);
    CHECK(p.match_index == 40);
    CHECK(p.snapshot_index == 96);  // not the .snap's 90
    CHECK(p.snapshot_term == 3);
    CHECK(p.applied_from == "commit");
    // The leader's log goes on past its applied index: those entries follow.
    CHECK(p.append_first == 97);
    CHECK(p.append_last == 100);
    CHECK(p.append_bytes == 40);
}

TEST_CASE("raft sync: a merged snapshot at a leader's last entry when its commit is past it, and no entries after") {
    RaftLog leader = log_of(1, std::vector<std::uint64_t>(100, 2), 120, 90);  // a commit past its log: torn tail
    const RaftSyncPlan p = plan_raft_sync(leader, log_of(1, {2, 2}, 2), 0);
    CHECK(p.kind == RaftSyncKind::Snapshot);
    CHECK(p.snapshot_index == 100);
    CHECK(p.applied_from == "last index");
    CHECK_FALSE(p.append_first);
    CHECK_FALSE(p.append_last);
    CHECK(p.append_bytes == 0);
    // Committed up to its last entry, the same: nothing after the snapshot.
    leader.commit = 100;
    const RaftSyncPlan q = plan_raft_sync(leader, log_of(1, {2, 2}, 2), 0);
    CHECK(q.snapshot_index == 100);
    CHECK(q.applied_from == "commit");
    CHECK_FALSE(q.append_first);
}

TEST_CASE("raft sync: a merged snapshot is the size of the leader's db, and of unknown size without one") {
    RaftLog leader = log_of(1, std::vector<std::uint64_t>(100, 2), 100, 90);
    const RaftLog follower = log_of(1, {2}, 1);
    CHECK_FALSE(plan_raft_sync(leader, follower, 0).snapshot_bytes);
    leader.db_bytes = 123456;
    CHECK(plan_raft_sync(leader, follower, 0).snapshot_bytes == 123456);
    CHECK_FALSE(plan_raft_sync(leader, log_of(1, std::vector<std::uint64_t>(95, 2), 95), 0).snapshot_bytes);  // no snapshot
}

TEST_CASE("raft sync: a member's snap/db is measured as the merged snapshot's size, and absent it is unknown") {
    test::TempDir tmp;
    const fs::path wal = tmp.path() / "member" / "wal";
    fs::create_directories(wal);
    fs::create_directories(tmp.path() / "member" / "snap");
    WalEncoder enc;
    enc.crc_record();
    enc.metadata({0xabc, 1});
    enc.snapshot({0, 0, std::nullopt});
    enc.entry({0, 1, 1, {}});
    enc.hard_state({1, 0xabc, 1});
    test::spit(wal / segment_file_name(0, 0), enc.preallocated(8192));
    CHECK_FALSE(load_raft_log(list_member_dir(tmp.path())).db_bytes);
    test::spit(tmp.path() / "member" / "snap" / "db", std::string(12345, 'd'));
    CHECK(load_raft_log(list_member_dir(tmp.path())).db_bytes == 12345);
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
    CHECK(test::run_command({ZABRA_BINARY, "plan", "--leader", e1.string(), "--learner", e3.string()}).status == 10);
}

namespace {

std::uint64_t json_uint(const JsonValue& o, const char* key) {
    const JsonValue* v = o.get(key);
    REQUIRE(v != nullptr);
    REQUIRE(v->number() != nullptr);
    return std::stoull(v->number()->text);
}

// The last applied index that etcdctl reported for `member` in the fixture's ops.jsonl.
std::uint64_t recorded_applied_index(const std::string& member) {
    std::ifstream in(test::fixtures() / "etcd" / "expected" / "ops.jsonl");
    std::uint64_t applied = 0;
    for (std::string line; std::getline(in, line);) {
        const JsonValue op = parse_json(line);
        const JsonValue* status = op.get("status");
        if (status == nullptr || status->get("member") == nullptr || *status->get("member")->string() != member) continue;
        applied = json_uint(*status, "raftAppliedIndex");
    }
    return applied;
}

// The size the fixture recorded for `member`'s snap/db (not committed).
std::uint64_t recorded_db_size(const std::string& member) {
    const JsonValue db = parse_json(test::slurp(test::fixtures() / "etcd" / "expected" / "db.json"));
    return json_uint(*db.get(member), "size");
}

}  // namespace

// e1, restarted from its files, holds only the entries after its newest .snap
// (205), which e3 (last index 191) does not reach: etcd rebuilds a restarted
// member's raft log from the .snap and the WAL after it. A running e1 would
// have kept 5000 entries before its snapshot and appended instead (above);
// --catch-up-entries 0 is how the plan models the restart.
TEST_CASE("raft sync: the killed member e3 against a restarted leader gets a merged snapshot at the leader's applied index") {
    test::TempDir tmp;
    const fs::path e1 = test::restore_etcd_member("e1", tmp.path());
    const fs::path e3 = test::restore_etcd_member("e3", tmp.path());
    const std::uint64_t applied = recorded_applied_index("e1");  // 234, what etcdctl said last
    REQUIRE(applied > 0);
    const std::vector<std::string> plan{ZABRA_BINARY, "plan", "--leader", e1.string(), "--learner", e3.string(),
                                        "--catch-up-entries", "0", "--json"};

    // The fixture keeps no snap/db: the size is unknown, not made up.
    const test::CommandResult no_db = test::run_command(plan);
    CHECK(no_db.status == 13);
    const JsonValue a = parse_json(no_db.out);
    CHECK(*a.get("kind")->string() == "SNAPSHOT");
    CHECK(json_uint(a, "snapshot_index") == applied);
    CHECK(json_uint(a, "snapshot_index") != json_uint(a, "leader_snap_index"));  // not raft's .snap at 205
    CHECK(*a.get("snapshot_index_from")->string() == "commit");
    CHECK(json_uint(a, "snapshot_term") == 4);
    CHECK(a.get("snapshot_bytes")->is_null());
    CHECK(a.get("bytes")->is_null());
    CHECK(a.get("append_first")->is_null());  // e1's log ends at its applied index
    CHECK(json_uint(a, "count") == 0);

    // With e1's db in place (its recorded size; only its size is read).
    const std::uint64_t db_size = recorded_db_size("e1");
    {
        std::ofstream(e1 / "member" / "snap" / "db").close();
        fs::resize_file(e1 / "member" / "snap" / "db", db_size);
    }
    const test::CommandResult with_db = test::run_command(plan);
    CHECK(with_db.status == 13);
    const JsonValue b = parse_json(with_db.out);
    CHECK(json_uint(b, "snapshot_index") == applied);
    CHECK(json_uint(b, "snapshot_bytes") == db_size);
    CHECK(json_uint(b, "bytes") == db_size);

    const test::CommandResult text = test::run_command({ZABRA_BINARY, "plan", "--leader", e1.string(), "--learner",
                                                        e3.string(), "--catch-up-entries", "0"});
    CHECK(text.status == 13);
    CHECK(text.out.find(fmt::format("merged snapshot (the leader's db and v2 store) at its applied index {}", applied)) !=
          std::string::npos);
    CHECK(text.out.find(fmt::format("about {} bytes", db_size)) != std::string::npos);
    CHECK(text.out.find("entries sent after the snapshot: none") != std::string::npos);
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
