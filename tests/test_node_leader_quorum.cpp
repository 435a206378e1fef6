// The leader's side of the quorum port (node/quorum/leader_quorum), driven by
// what two real ZooKeeper 3.8 learners sent their real leader (one there
// from the start, synced by DIFF; one joining 600 txns later, by SNAP): it
// must send them what the real leader sent, packet for packet. And the
// rules no capture shows: the epoch, quorums, commit order, stepping down.
#include "helpers.h"
#include "libformat/zab/sync_plan.h"
#include "libformat/zab/txn_codec.h"
#include "node/config.h"
#include "node/quorum/election_wire.h"
#include "node/quorum/leader_quorum.h"
#include "quorum_capture.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <deque>

using namespace zabra;
using namespace zabra::node::quorum;
namespace step = zabra::node::quorum::leader_step;

namespace {

QuorumPacket packet(std::int32_t type, std::int64_t zxid, std::optional<std::string> data = std::nullopt) {
    return QuorumPacket{type, zxid, std::move(data), std::nullopt};
}

std::string describe(const QuorumPacket& p) {
    std::string hex;
    for (const unsigned char c : encode_quorum_packet(p)) hex += fmt::format("{:02x}", c);
    return fmt::format("{} 0x{:x} {}", packet_type_name(p.type), p.zxid, hex);
}

zab::Txn create_txn(std::int64_t zxid) {
    zab::Txn t;
    t.header = {0x100000000, 1, zxid, 1000, zab::op::create};
    t.body = zab::CreateTxn{fmt::format("/n{}", zxid & 0xff), std::string("x"),
                            std::vector<zab::Acl>{{31, "world", "anyone"}}, false, 1, false};
    return t;
}

// Carries out the leader's steps; SyncLearner as the node will: plan with
// zab::plan_sync over the committed txns, send DIFF/TRUNC/SNAP (the SNAP
// stream itself is not modelled here) and the pairs.
struct Driver {
    LeaderQuorum leader;
    std::map<std::uint64_t, std::vector<QuorumPacket>> sent;
    std::vector<std::string> trace;
    std::vector<std::int64_t> committed;
    std::map<std::int64_t, zab::Txn> log;
    bool txnlog_over_limit = false;
    std::vector<std::string> plans;

    explicit Driver(LeaderStart s) : leader(std::move(s)) {}

    void run(std::vector<LeaderStep> steps) {
        for (LeaderStep& st : steps) std::visit([&](auto& s) { carry_out(s); }, st);
    }
    void carry_out(step::Send& s) { sent[s.conn].push_back(s.packet); }
    void carry_out(step::WriteAcceptedEpoch& s) { trace.push_back(fmt::format("acceptedEpoch {}", s.epoch)); }
    void carry_out(step::WriteCurrentEpoch& s) { trace.push_back(fmt::format("currentEpoch {}", s.epoch)); }
    void carry_out(step::SyncLearner& s) {
        zab::LeaderState st;
        st.committed = committed;
        st.txnlog = committed;
        st.last_processed = committed.empty() ? leader.epoch() << 32 : committed.back();
        if (committed.empty()) st.last_processed = 0;
        st.txnlog_over_limit = txnlog_over_limit;
        const zab::SyncPlan plan = zab::plan_sync(st, s.peer_zxid);
        plans.push_back(fmt::format("{} {}", s.sid, zab::sync_kind_name(plan.kind)));
        switch (plan.kind) {
        case zab::SyncKind::Snap: sent[s.conn].push_back(packet(kSnap, st.last_processed)); break;
        case zab::SyncKind::Trunc:
        case zab::SyncKind::TruncDiff: sent[s.conn].push_back(packet(kTrunc, *plan.trunc_to)); break;
        default: sent[s.conn].push_back(packet(kDiff, *plan.diff_zxid));
        }
        for (const std::int64_t z : plan.proposals) {
            sent[s.conn].push_back(packet(kProposal, z, zab::encode_txn(log.at(z))));
            sent[s.conn].push_back(packet(kCommit, z));
        }
        trace.push_back(fmt::format("sync {}", s.sid));
    }
    void carry_out(step::Serve& s) { trace.push_back(fmt::format("serve {}", s.epoch)); }
    void carry_out(step::Log& s) { log[s.txn.header.zxid] = s.txn; }
    void carry_out(step::Commit& s) { committed.push_back(s.zxid); }
    void carry_out(step::FromLearner&) {}
    void carry_out(step::DropLearner& s) { trace.push_back(fmt::format("drop {}: {}", s.conn, s.reason)); }
    void carry_out(step::StepDown& s) { trace.push_back("step down: " + s.reason); }
};

LeaderStart three(std::int64_t sid = 2) {
    LeaderStart s;
    s.sid = sid;
    s.voters = {1, 2, 3};
    s.members = "members";
    return s;
}

}  // namespace

TEST_CASE("leader: sends two real learners, one synced by DIFF and one by SNAP, what the real leader sent") {
    const auto st = test::quorum_state();
    const std::int64_t leader_sid = std::stoll(st.at("leader"));
    REQUIRE(leader_sid == 2);  // the capture's roles: 1 from the start, 3 joining late
    auto read = [](const std::string& name) {
        return test::packets_of(test::slurp(test::quorum_fixtures() / name));
    };
    const auto up1 = read("quorum1-2.0.up"), down1 = read("quorum1-2.0.down");
    const auto up3 = read("quorum3-2.0.up"), down3 = read("quorum3-2.0.down");
    LeaderStart s = three();
    s.members = config_text(node::read_config(test::quorum_fixtures() / "zoo2.cfg").servers);
    Driver d(s);
    d.txnlog_over_limit = true;  // the maker set snapshotSizeFactor=0: no sync from the txn log
    d.run(d.leader.start());
    CHECK(d.trace.empty());  // one of three is no quorum

    // Each learner's packets, fed in order as the leader needs them.
    struct Feed {
        std::uint64_t conn;
        std::deque<QuorumPacket> up;
    };
    Feed f1{1, {up1.begin(), up1.end()}}, f3{3, {up3.begin(), up3.end()}};
    auto feed_until = [&](Feed& f, auto done) {
        while (!f.up.empty() && !done()) {
            d.run(d.leader.receive(f.conn, f.up.front()));
            f.up.pop_front();
        }
    };
    auto next = [&](Feed& f, int n) {
        for (int i = 0; i < n && !f.up.empty(); ++i) {
            d.run(d.leader.receive(f.conn, f.up.front()));
            f.up.pop_front();
        }
    };
    next(f1, 4);  // FOLLOWERINFO, ACKEPOCH, ACK(NEWLEADER), ACK(UPTODATE)
    CHECK(d.leader.phase() == LeaderQuorum::Phase::kBroadcast);
    const std::vector<std::string> establish{"acceptedEpoch 1", "currentEpoch 1", "sync 1", "serve 1"};
    CHECK(d.trace == establish);

    // Broadcast, in the order the real leader's stream to learner 1 shows:
    // each PROPOSAL made and logged (the leader's own ACK at once), each
    // COMMIT once the learners' ACKs came, each PING where it was sent.
    bool joined = false;
    std::size_t pings_seen = 0;
    auto feed_acks = [&](Feed& f, std::int64_t z) {
        feed_until(f, [&] { return f.up.front().type == kAck && f.up.front().zxid > z; });
    };
    for (const QuorumPacket& p : down1) {
        if (p.type == kPing) {
            ++pings_seen;
            d.run(d.leader.half_tick());
        } else if (p.type == kProposal) {
            if (!joined && p.zxid > down3[1].zxid) {  // server 3 came once the SNAP's zxid was committed
                next(f3, 3);                          // FOLLOWERINFO, ACKEPOCH, ACK(NEWLEADER)
                joined = true;
            }
            const zab::Txn t = zab::decode_txn(as_bytes(*p.data));
            d.run(d.leader.propose(t));
            d.run(d.leader.durable(t.header.zxid));
        } else if (p.type == kCommit) {
            feed_acks(f1, p.zxid);
            if (joined) feed_acks(f3, p.zxid);
            CHECK(d.leader.last_committed() >= p.zxid);
        }
    }
    CHECK(joined);
    CHECK(pings_seen > 0);
    const std::vector<std::string> plans{"1 EMPTY_DIFF", "3 SNAP"};
    CHECK(d.plans == plans);
    for (const auto& [conn, down] : {std::pair{std::uint64_t{1}, down1}, std::pair{std::uint64_t{3}, down3}}) {
        CAPTURE(conn);
        std::vector<std::string> ours, theirs;
        for (const QuorumPacket& p : d.sent[conn]) ours.push_back(describe(p));
        for (const QuorumPacket& p : down) theirs.push_back(describe(p));
        CHECK(ours.size() == theirs.size());
        const std::size_t n = std::min(ours.size(), theirs.size());
        for (std::size_t i = 0; i < n; ++i) {
            CAPTURE(i);
            CHECK(ours[i] == theirs[i]);
            if (ours[i] != theirs[i]) break;
        }
    }
    CHECK(fmt::format("0x{:x}", d.leader.last_committed()) == st.at("server.2.zxid"));
}

TEST_CASE("leader: the epoch is one above every acceptedEpoch a quorum reported, and learners ahead are refused") {
    LeaderStart s = three();
    s.accepted_epoch = 3;
    s.current_epoch = 3;
    s.last_zxid = 0x300000005;
    Driver d(s);
    d.run(d.leader.start());
    d.run(d.leader.receive(7, packet(kFollowerInfo, 0x500000000, encode_learner_info(LearnerInfo{1, kZab10Protocol, 0}))));
    CHECK(d.leader.epoch() == 6);
    REQUIRE(d.sent[7].size() == 1);
    CHECK(d.sent[7][0].type == kLeaderInfo);
    CHECK(d.sent[7][0].zxid == 0x600000000);
    // A learner whose history is newer than ours cannot follow.
    d.run(d.leader.receive(7, packet(kAckEpoch, 0x300000009, encode_int32(3))));
    REQUIRE_FALSE(d.trace.empty());
    CHECK(d.trace.back() == "drop 7: Follower is ahead of the leader, leader summary: 3 (current epoch), "
                            "12884901893 (last zxid)");
    CHECK(d.leader.phase() == LeaderQuorum::Phase::kEpochAck);
    // A late learner gets the fixed epoch at once; its ACKEPOCH makes the quorum.
    d.run(d.leader.receive(8, packet(kFollowerInfo, 0x300000000, encode_learner_info(LearnerInfo{3, kZab10Protocol, 0}))));
    CHECK(d.sent[8].back().zxid == 0x600000000);
    d.run(d.leader.receive(8, packet(kAckEpoch, 0x300000005, encode_int32(3))));
    CHECK(d.trace.back() == "sync 3");
    CHECK(d.sent[8].back().type == kNewLeader);
    CHECK(d.leader.phase() == LeaderQuorum::Phase::kNewLeaderAck);
    // An ACK of another epoch is not counted.
    d.run(d.leader.receive(8, packet(kAck, 0x500000000)));
    CHECK(d.leader.phase() == LeaderQuorum::Phase::kNewLeaderAck);
}

TEST_CASE("leader: pipelined proposals commit in zxid order on a quorum, its own ACK only after its fsync") {
    Driver d(three());
    d.run(d.leader.start());
    for (const std::uint64_t c : {1, 3}) {
        d.run(d.leader.receive(c, packet(kFollowerInfo, 0, encode_learner_info(LearnerInfo{static_cast<std::int64_t>(c), kZab10Protocol, 0}))));
    }
    for (const std::uint64_t c : {1, 3}) d.run(d.leader.receive(c, packet(kAckEpoch, 0, encode_int32(0))));
    for (const std::uint64_t c : {1, 3}) d.run(d.leader.receive(c, packet(kAck, 0x100000000)));
    REQUIRE(d.leader.phase() == LeaderQuorum::Phase::kBroadcast);
    for (std::int64_t z = 0x100000001; z <= 0x100000003; ++z) d.run(d.leader.propose(create_txn(z)));
    // Learner 1 ACKs the third first: nothing commits before the first has a quorum.
    d.run(d.leader.receive(1, packet(kAck, 0x100000003)));
    CHECK(d.committed.empty());
    d.run(d.leader.receive(3, packet(kAck, 0x100000003)));
    CHECK(d.committed.empty());  // a quorum for the third, none for the first two
    d.run(d.leader.receive(1, packet(kAck, 0x100000001)));
    CHECK(d.committed.empty());  // the leader has not fsynced: its own ACK is not there
    d.run(d.leader.durable(0x100000002));
    CHECK(d.committed == std::vector<std::int64_t>{0x100000001});  // an ACK of 3 does not ACK 2
    d.run(d.leader.receive(3, packet(kAck, 0x100000002)));
    CHECK(d.committed == std::vector<std::int64_t>{0x100000001, 0x100000002, 0x100000003});
    CHECK(d.sent[1].back().type == kCommit);
    CHECK(d.sent[1].back().zxid == 0x100000003);
    CHECK_THROWS_AS(d.leader.propose(create_txn(0x100000009)), std::logic_error);
}

TEST_CASE("leader: steps down when no quorum is heard from within syncLimit, or none forms within initLimit") {
    SUBCASE("broadcast") {
        LeaderStart s = three();
        s.sync_limit_ticks = 2;
        Driver d(s);
        d.run(d.leader.start());
        d.run(d.leader.receive(1, packet(kFollowerInfo, 0, encode_learner_info(LearnerInfo{1, kZab10Protocol, 0}))));
        d.run(d.leader.receive(1, packet(kAckEpoch, 0, encode_int32(0))));
        d.run(d.leader.receive(1, packet(kAck, 0x100000000)));
        REQUIRE(d.leader.phase() == LeaderQuorum::Phase::kBroadcast);
        for (int i = 0; i < 4; ++i) d.run(d.leader.half_tick());  // two ticks: still within syncLimit
        CHECK(d.leader.phase() == LeaderQuorum::Phase::kBroadcast);
        d.run(d.leader.receive(1, packet(kPing, 0x100000000, std::string())));  // heard from again
        for (int i = 0; i < 4; ++i) d.run(d.leader.half_tick());
        CHECK(d.leader.phase() == LeaderQuorum::Phase::kBroadcast);
        for (int i = 0; i < 2; ++i) d.run(d.leader.half_tick());
        CHECK(d.leader.phase() == LeaderQuorum::Phase::kStepped);
        CHECK(d.trace.back() == "step down: Not sufficient followers synced, only synced with sids: [2]");
    }
    SUBCASE("establishing") {
        LeaderStart s = three();
        s.init_limit_ticks = 3;
        Driver d(s);
        d.run(d.leader.start());
        for (int i = 0; i < 8; ++i) d.run(d.leader.half_tick());
        CHECK(d.trace.back() == "step down: Timeout while waiting for epoch from quorum");
    }
}
