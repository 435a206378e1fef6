// The follower's side of the quorum port (node/quorum/follower_sync), driven
// by the packets a real ZooKeeper 3.8 leader sent its two learners (one
// synced by DIFF, one by SNAP), answered as those real learners answered;
// and the persistence order ZooKeeper 3.8.0 gets wrong (ZOOKEEPER-4643/4646).
#include "helpers.h"
#include "libformat/zab/txn_codec.h"
#include "node/quorum/follower_sync.h"
#include "quorum_capture.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace zabra;
using namespace zabra::node::quorum;
namespace step = zabra::node::quorum::follower_step;

namespace {

// Carries the steps out as a fast disk would: a log is durable at once.
struct Driver {
    FollowerSync follower;
    std::vector<QuorumPacket> sent;
    std::vector<std::string> trace;  // every step, in order
    std::vector<std::int64_t> applied;

    explicit Driver(FollowerStart s) : follower(s) {}

    void run(std::vector<FollowerStep> steps) {
        for (FollowerStep& st : steps) {
            std::visit([&](auto& s) { carry_out(s); }, st);
        }
    }
    void carry_out(step::Send& s) {
        trace.push_back(fmt::format("send {} 0x{:x}", packet_type_name(s.packet.type), s.packet.zxid));
        sent.push_back(s.packet);
    }
    void carry_out(step::WriteAcceptedEpoch& s) { trace.push_back(fmt::format("acceptedEpoch {}", s.epoch)); }
    void carry_out(step::WriteCurrentEpoch& s) { trace.push_back(fmt::format("currentEpoch {}", s.epoch)); }
    void carry_out(step::Truncate& s) { trace.push_back(fmt::format("truncate 0x{:x}", s.zxid)); }
    void carry_out(step::LoadSnapshot& s) { trace.push_back(fmt::format("load 0x{:x}", s.zxid)); }
    void carry_out(step::TakeSnapshot&) { trace.push_back("snapshot"); }
    void carry_out(step::Log& s) {
        trace.push_back(fmt::format("log {}{}", s.txns.size(), s.sync ? " sync" : ""));
        if (!s.sync) run(follower.durable(s.txns.back().header.zxid));
    }
    void carry_out(step::Apply& s) {
        trace.push_back(fmt::format("apply 0x{:x}", s.txn.header.zxid));
        applied.push_back(s.txn.header.zxid);
    }
    void carry_out(step::Serve& s) { trace.push_back(fmt::format("serve {}", s.epoch)); }
    void carry_out(step::FromLeader& s) {
        trace.push_back(fmt::format("from leader {}", packet_type_name(s.packet.type)));
        if (s.packet.type == kPing) sent.push_back(s.packet);  // the caller echoes it with its session touches
    }
};

std::string hexz(std::int64_t z) { return fmt::format("0x{:x}", z); }

std::string test_hex(const std::string& bytes) {
    std::string out;
    for (const unsigned char c : bytes) out += fmt::format("{:02x}", c);
    return out;
}

QuorumPacket packet(std::int32_t type, std::int64_t zxid, std::optional<std::string> data = std::nullopt) {
    return QuorumPacket{type, zxid, std::move(data), std::nullopt};
}

QuorumPacket proposal(std::int64_t zxid, const std::string& path) {
    zab::Txn t;
    t.header = {0x100000000, 1, zxid, 1000, zab::op::create};
    t.body = zab::CreateTxn{path, std::string("x"), std::vector<zab::Acl>{{31, "world", "anyone"}}, false, 1, false};
    return packet(kProposal, zxid, zab::encode_txn(t));
}

}  // namespace

TEST_CASE("follower: answers a real leader's DIFF and SNAP syncs and broadcast as the real learners did") {
    const auto st = test::quorum_state();
    const std::int64_t leader = std::stoll(st.at("leader"));
    int checked = 0;
    for (std::int64_t learner = 1; learner <= 3; ++learner) {
        if (learner == leader) continue;
        const auto base = test::quorum_fixtures() / fmt::format("quorum{}-{}.0", learner, leader);
        CAPTURE(base.filename().string());
        const std::vector<QuorumPacket> up = test::packets_of(test::slurp(base.string() + ".up"));
        const std::vector<QuorumPacket> down = test::packets_of(test::slurp(base.string() + ".down"));
        // Both learners started empty at epoch 0 (state.txt has where they ended).
        Driver d(FollowerStart{learner, 0, 0, 0});
        d.run(d.follower.start());
        for (const QuorumPacket& p : down) d.run(d.follower.receive(p));

        // What the real learner sent, but for what its clients asked (REQUEST):
        // FOLLOWERINFO, ACKEPOCH, ACK(NEWLEADER), ACK(UPTODATE) and an ACK per
        // proposal, byte for byte and in order; PING answers (their session
        // tables are the caller's), in order among themselves: a real learner
        // ACKs after its fsync, so where a PING answer falls among the ACKs is
        // a matter of timing.
        auto split = [](const std::vector<QuorumPacket>& ps, std::vector<std::string>& acks,
                        std::vector<std::string>& pings) {
            for (const QuorumPacket& p : ps) {
                if (p.type == kPing) {
                    pings.push_back(hexz(p.zxid));
                } else if (p.type != kRequest) {
                    // every byte: the type, the zxid, the data (FOLLOWERINFO's, ACKEPOCH's), the authinfo
                    acks.push_back(fmt::format("{} 0x{:x} {}", packet_type_name(p.type), p.zxid,
                                               test_hex(encode_quorum_packet(p))));
                }
            }
        };
        std::vector<std::string> ours, theirs, our_pings, their_pings;
        split(d.sent, ours, our_pings);
        split(up, theirs, their_pings);
        CHECK(ours == theirs);
        CHECK(ours.size() > 4);
        // The capture ends when the writes are done: the learner's answers to
        // the leader's last PINGs may be missing from it.
        REQUIRE(our_pings.size() >= their_pings.size());
        our_pings.resize(their_pings.size());
        CHECK(our_pings == their_pings);
        CHECK(d.follower.phase() == FollowerSync::Phase::kBroadcast);
        CHECK(d.follower.new_epoch() == std::stoll(st.at(fmt::format("server.{}.currentEpoch", learner))));
        // Every committed txn applied, in order, ending where the learner ended.
        REQUIRE_FALSE(d.applied.empty());
        for (std::size_t i = 1; i < d.applied.size(); ++i) CHECK(d.applied[i] == d.applied[i - 1] + 1);
        CHECK(hexz(d.applied.back()) == st.at(fmt::format("server.{}.zxid", learner)));
        // The sync's persistence: a new epoch accepted before ACKEPOCH, the
        // received tree on disk and currentEpoch written before the ACK of NEWLEADER.
        CHECK(d.trace[0] == "send FOLLOWERINFO 0x0");
        CHECK(d.trace[1] == "acceptedEpoch 1");
        CHECK(d.trace[2] == "send ACKEPOCH 0x0");
        const auto at = [&](const std::string& s) {
            return std::find(d.trace.begin(), d.trace.end(), s) - d.trace.begin();
        };
        CHECK(at("currentEpoch 1") < at("send ACK 0x100000000"));
        if (down[1].type == kSnap) {
            CHECK(d.trace[3] == fmt::format("load 0x{:x}", down[1].zxid));
            CHECK(at("snapshot") < at("currentEpoch 1"));
        } else {
            CHECK(at("snapshot") == static_cast<long>(d.trace.size()));
        }
        ++checked;
    }
    CHECK(checked == 2);
}

TEST_CASE("follower: the txns of a DIFF are durable, then currentEpoch, then the ACK of NEWLEADER, and their ACKs come after UPTODATE's") {
    Driver d(FollowerStart{3, 1, 1, 0x100000005});
    d.run(d.follower.start());
    d.run(d.follower.receive(packet(kLeaderInfo, 0x200000000, encode_int32(kZab10Protocol))));
    d.run(d.follower.receive(packet(kDiff, 0x100000007)));
    d.run(d.follower.receive(proposal(0x100000006, "/a")));
    d.run(d.follower.receive(packet(kCommit, 0x100000006)));
    d.run(d.follower.receive(proposal(0x100000007, "/b")));
    d.run(d.follower.receive(packet(kCommit, 0x100000007)));
    d.run(d.follower.receive(packet(kNewLeader, 0x200000000, std::string("cfg"))));
    d.run(d.follower.receive(proposal(0x200000001, "/c")));  // broadcast already forwarded to us
    d.run(d.follower.receive(packet(kUpToDate, -1)));
    d.run(d.follower.receive(packet(kCommit, 0x200000001)));
    const std::vector<std::string> expected{
        "send FOLLOWERINFO 0x100000000", "acceptedEpoch 2", "send ACKEPOCH 0x100000005",
        // NEWLEADER: the stash durable (one fsync), the epoch, then the ACK.
        "log 2 sync", "currentEpoch 2", "send ACK 0x200000000",
        // UPTODATE: its ACK first, as 3.8.0 orders them, then the stash's.
        "send ACK 0x200000000", "send ACK 0x100000006", "send ACK 0x100000007",
        "log 1", "send ACK 0x200000001", "apply 0x100000006", "apply 0x100000007", "serve 2",
        "apply 0x200000001"};
    CHECK(d.trace == expected);
    // ACKEPOCH reports currentEpoch 1 (a new epoch was accepted).
    CHECK(decode_int32(as_bytes(*d.sent[1].data)) == 1);
}

TEST_CASE("follower: TRUNC cuts the log, and commits before NEWLEADER apply in memory at once") {
    Driver d(FollowerStart{2, 2, 2, 0x200000010});
    d.run(d.follower.start());
    d.run(d.follower.receive(packet(kLeaderInfo, 0x200000000, encode_int32(kZab10Protocol))));
    CHECK(decode_int32(as_bytes(*d.sent[1].data)) == -1);  // the epoch was accepted already
    d.run(d.follower.receive(packet(kTrunc, 0x200000008)));
    d.run(d.follower.receive(proposal(0x200000009, "/x")));
    d.run(d.follower.receive(packet(kCommit, 0x200000009)));
    d.run(d.follower.receive(packet(kNewLeader, 0x200000000)));
    d.run(d.follower.receive(packet(kUpToDate, -1)));
    const std::vector<std::string> expected{"send FOLLOWERINFO 0x200000000", "send ACKEPOCH 0x200000010",
                                            "truncate 0x200000008", "apply 0x200000009", "snapshot",
                                            "currentEpoch 2", "send ACK 0x200000000", "send ACK 0x200000000",
                                            "serve 2"};
    CHECK(d.trace == expected);
}

TEST_CASE("follower: what it refuses, as ZooKeeper refuses it") {
    SUBCASE("a leader from an older epoch") {
        FollowerSync f(FollowerStart{1, 5, 5, 0});
        f.start();
        CHECK_THROWS_WITH_AS(f.receive(packet(kLeaderInfo, 0x400000000, encode_int32(kZab10Protocol))),
                             "Leaders epoch, 4, is less than accepted epoch, 5", FollowerError);
    }
    SUBCASE("a first packet that is not LEADERINFO") {
        FollowerSync f(FollowerStart{1, 0, 0, 0});
        f.start();
        CHECK_THROWS_AS(f.receive(packet(kPing, 0)), FollowerError);
    }
    SUBCASE("a sync that starts with anything but DIFF, TRUNC or SNAP: ZooKeeper exits 13") {
        FollowerSync f(FollowerStart{1, 0, 0, 0});
        f.start();
        f.receive(packet(kLeaderInfo, 0x100000000, encode_int32(kZab10Protocol)));
        try {
            f.receive(packet(kUpToDate, -1));
            FAIL("no error");
        } catch (const FollowerError& e) {
            CHECK(e.exit_code == 13);
        }
    }
    SUBCASE("a COMMIT that is not the oldest pending proposal: ZooKeeper exits 12") {
        Driver d(FollowerStart{1, 0, 0, 0});
        d.run(d.follower.start());
        d.run(d.follower.receive(packet(kLeaderInfo, 0x100000000, encode_int32(kZab10Protocol))));
        d.run(d.follower.receive(packet(kDiff, 0)));
        d.run(d.follower.receive(packet(kNewLeader, 0x100000000)));
        d.run(d.follower.receive(packet(kUpToDate, -1)));
        d.run(d.follower.receive(proposal(0x100000001, "/a")));
        d.run(d.follower.receive(proposal(0x100000002, "/b")));
        try {
            d.follower.receive(packet(kCommit, 0x100000002));
            FAIL("no error");
        } catch (const FollowerError& e) {
            CHECK(e.exit_code == 12);
            CHECK(std::string(e.what()) == "Committing zxid 0x100000002 but next pending txn 0x100000001");
        }
    }
    SUBCASE("a PROPOSAL whose txn does not decode, or names another zxid") {
        Driver d(FollowerStart{1, 0, 0, 0});
        d.run(d.follower.start());
        d.run(d.follower.receive(packet(kLeaderInfo, 0x100000000, encode_int32(kZab10Protocol))));
        d.run(d.follower.receive(packet(kDiff, 0)));
        CHECK_THROWS_AS(d.follower.receive(packet(kProposal, 0x100000001, std::string("\x01\x02", 2))), FollowerError);
        QuorumPacket other = proposal(0x100000001, "/a");
        other.zxid = 0x100000009;
        CHECK_THROWS_AS(d.follower.receive(other), FollowerError);
    }
}
