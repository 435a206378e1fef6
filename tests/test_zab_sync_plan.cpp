// The sync planner against the decision procedure of LearnerHandler
// .syncFollower (doc/sync-plans.md §1) on hand-made leader states; ZooKeeper's own
// LearnerHandlerTest scenarios are in tests/fixtures/sync (see below).
#include "helpers.h"
#include "libformat/common/error.h"
#include "libformat/common/json_reader.h"
#include "libformat/zab/sync_plan.h"

#include <doctest/doctest.h>

#include <filesystem>

using namespace zabra;
using namespace zabra::zab;

namespace {

constexpr std::int64_t z(std::int64_t epoch, std::int64_t counter) { return (epoch << 32) | counter; }

}  // namespace

TEST_CASE("a learner at the leader's lastProcessedZxid gets an empty DIFF") {
    const SyncPlan p = plan_sync({{z(1, 1), z(1, 2)}, std::nullopt, z(1, 2)}, z(1, 2));
    CHECK(p.kind == SyncKind::EmptyDiff);
    CHECK(p.diff_zxid == z(1, 2));
}

TEST_CASE("the DIFF packet carries maxCommittedLog, not lastProcessedZxid") {
    const SyncPlan p = plan_sync({{0x2, 0x3, 0x5}, std::nullopt, 0x6}, 0x2);
    CHECK(p.kind == SyncKind::Diff);
    CHECK(p.diff_zxid == 0x5);
    CHECK(p.proposals == std::vector<std::int64_t>{0x3, 0x5});
    CHECK(p.current_zxid == 0x5);
}

TEST_CASE("a learner ahead of the committed log truncates to its end") {
    const SyncPlan p = plan_sync({{z(1, 1), z(1, 2)}, std::nullopt, z(1, 2)}, z(1, 7));
    CHECK(p.kind == SyncKind::Trunc);
    CHECK(p.trunc_to == z(1, 2));
    CHECK(p.current_zxid == z(1, 2));
}

TEST_CASE("a txn the leader never saw, inside the committed range, gives TRUNC+DIFF only within one epoch") {
    const SyncPlan p = plan_sync({{0x2, 0x3, 0x5}, std::nullopt, 0x5}, 0x4);
    CHECK(p.kind == SyncKind::TruncDiff);
    CHECK(p.trunc_to == 0x3);
    CHECK(p.proposals == std::vector<std::int64_t>{0x5});
}

TEST_CASE("an old leader with uncommitted txns of an older epoch gets SNAP, not TRUNC+DIFF") {
    // Textbook ZAB says TRUNC to (1,2) then DIFF; ZooKeeper refuses a TRUNC across epochs.
    const SyncPlan p = plan_sync({{z(1, 1), z(1, 2), z(2, 1), z(2, 2)}, std::nullopt, z(2, 2)}, z(1, 3));
    CHECK(p.kind == SyncKind::Snap);
    CHECK(p.rule == "epoch-boundary");
}

TEST_CASE("a learner older than the committed log is fed from the on-disk log, unless there is a gap") {
    LeaderState l{{z(1, 5), z(1, 6), z(1, 7)}, std::vector<std::int64_t>{z(1, 1), z(1, 2), z(1, 3), z(1, 4), z(1, 5)},
                  z(1, 7)};
    SyncPlan p = plan_sync(l, z(1, 2));
    CHECK(p.kind == SyncKind::Diff);
    CHECK(p.diff_zxid == z(1, 7));
    CHECK(p.proposals == std::vector<std::int64_t>{z(1, 3), z(1, 4), z(1, 5), z(1, 6), z(1, 7)});
    l.txnlog = std::vector<std::int64_t>{z(1, 1), z(1, 2), z(1, 3)};  // ends before minCommittedLog
    p = plan_sync(l, z(1, 2));
    CHECK(p.kind == SyncKind::Snap);
    CHECK(p.rule == "txnlog-gap");
    l.txnlog_sync = false;
    CHECK(plan_sync(l, z(1, 2)).rule == "unhandled");
    l.txnlog_sync = true;
    l.txnlog = std::vector<std::int64_t>{z(1, 3), z(1, 4), z(1, 5)};  // starts after the learner
    CHECK(plan_sync(l, z(1, 2)).rule == "txnlog-missing");
}

TEST_CASE("an empty learner (-1) and forceSnapshotSync get SNAP at lastProcessedZxid") {
    const SyncPlan empty = plan_sync({{z(1, 1)}, std::nullopt, z(1, 1)}, -1);
    CHECK(empty.kind == SyncKind::Snap);
    CHECK(empty.current_zxid == z(1, 1));
    LeaderState forced{{z(1, 1)}, std::nullopt, z(1, 1)};
    forced.force_snap = true;
    CHECK(plan_sync(forced, z(1, 1)).kind == SyncKind::Snap);
}

TEST_CASE("the JSON reader takes zabra's inputs and names the byte where malformed input fails") {
    const JsonValue v = parse_json(R"({"committed": ["0x1", "0x2"], "txnlog": null, "n": -1.5e3, "ok": true, "s": "a\u00e9\n"})");
    REQUIRE(v.object() != nullptr);
    CHECK(v.get("committed")->array()->size() == 2);
    CHECK(v.get("txnlog")->is_null());
    CHECK(v.get("n")->number()->text == "-1.5e3");
    CHECK(*v.get("ok")->boolean());
    CHECK(*v.get("s")->string() == "a\xc3\xa9\n");
    CHECK(v.get("missing") == nullptr);
    CHECK_THROWS_WITH_AS(parse_json(R"({"a": [1, 2)"), doctest::Contains("at byte 11"), FormatError);
    CHECK_THROWS_AS(parse_json(R"({"a": "\uZZZZ"})"), FormatError);
    CHECK_THROWS_AS(parse_json(std::string(100, '[')), FormatError);  // too deep
    CHECK_THROWS_AS(parse_json("{} x"), FormatError);
}

TEST_CASE("every LearnerHandlerTest and Zab1_0Test sync scenario of ZooKeeper 3.8.0 plans as ZooKeeper decided") {
    // Ported as data (tests/fixtures/sync/learner_handler_cases.json), each
    // checked against the real 3.8.0 LearnerHandler; read through the same
    // JSON path as `zabra plan --leader-state`.
    const JsonValue doc = parse_json(test::slurp(test::fixtures() / "sync/learner_handler_cases.json"));
    const auto& cases = *doc.get("cases")->array();
    REQUIRE(cases.size() >= 24);
    auto zxid = [](const JsonValue* v) -> std::optional<std::int64_t> {
        if (v == nullptr || v->is_null()) return std::nullopt;
        return parse_plan_zxid(*v->string());
    };
    std::size_t kinds[5] = {};
    for (const JsonValue& c : cases) {
        CAPTURE(*c.get("name")->string());
        const LeaderState leader = leader_state_from_json(c);
        const SyncPlan p = plan_sync(leader, *zxid(c.get("peer")));
        const JsonValue& e = *c.get("expect");
        CHECK(std::string(sync_kind_name(p.kind)) == *e.get("kind")->string());
        ++kinds[static_cast<int>(p.kind)];
        if (p.kind == SyncKind::Snap) {
            CHECK(p.current_zxid == *zxid(e.get("current_zxid")));
            continue;
        }
        CHECK(p.trunc_to == zxid(e.get("trunc_to")));
        CHECK(p.diff_zxid == zxid(e.get("diff_zxid")));
        std::vector<std::int64_t> proposals;
        for (const JsonValue& z : *e.get("proposals")->array()) proposals.push_back(*parse_plan_zxid(*z.string()));
        CHECK(p.proposals == proposals);
        CHECK(p.current_zxid == *zxid(e.get("current_zxid")));
    }
    for (const std::size_t k : kinds) CHECK(k > 0);  // every kind is among them
}

TEST_CASE("zabra plan --leader-state tells the kind by its exit code and prints the JSON the issue names") {
    test::TempDir tmp;
    test::spit(tmp.path() / "leader.json",
               R"({"committed": ["0x100000001", "0x100000002", "0x200000001"], "txnlog": null,
                   "last_processed": "0x200000001", "force_snap": false, "txnlog_sync": true})");
    const std::string leader = (tmp.path() / "leader.json").string();
    const auto run = [&](const std::string& peer) {
        return test::run_command({ZABRA_BINARY, "plan", "--leader-state", leader, "--peer-zxid", peer, "--json"});
    };
    auto r = run("0x100000001");
    CHECK(r.status == 10);
    CHECK(r.out.find(R"("kind":"DIFF","trunc_to":null,"diff_first":"0x100000002","diff_last":"0x200000001")") !=
          std::string::npos);
    CHECK(run("0x200000001").status == 0);
    CHECK(run("0x200000005").status == 11);
    r = run("0x100000003");  // an uncommitted txn of the old epoch
    CHECK(r.status == 13);
    CHECK(r.out.find(R"("kind":"SNAP")") != std::string::npos);
    CHECK(run("0xffffffffffffffff").status == 13);
    CHECK(run("nonsense").status == 3);
}
