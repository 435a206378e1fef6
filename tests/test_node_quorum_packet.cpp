// The quorum port's codecs (node/quorum/quorum_packet) against the packets
// real ZooKeeper 3.8 learners and leaders sent each other while one
// ensemble was elected, synced and took writes (tests/fixtures/zk-quorum/,
// captured by scripts/make-quorum-fixtures).
#include "helpers.h"
#include "quorum_capture.h"
#include "libformat/common/error.h"
#include "libformat/zab/jute.h"
#include "libformat/zab/txn_codec.h"
#include "node/config.h"
#include "node/quorum/election_wire.h"
#include "node/quorum/quorum_packet.h"
#include "libformat/zab/data_tree.h"
#include "node/quorum/snap_stream.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>
#include <sstream>

namespace fs = std::filesystem;
using namespace zabra;
using namespace zabra::node::quorum;

namespace {

using test::packets_of;
using test::quorum_fixtures;

std::map<std::string, std::string> state() { return test::quorum_state(); }

}  // namespace

TEST_CASE("a real learner's and leader's quorum streams decode packet by packet, and re-encode to the same bytes") {
    const auto st = state();
    const std::int64_t leader = std::stoll(st.at("leader"));
    const std::int64_t epoch = std::stoll(st.at(fmt::format("server.{}.currentEpoch", leader)));
    const std::string leader_config =
        config_text(node::read_config(quorum_fixtures() / fmt::format("zoo{}.cfg", leader)).servers);
    int learners = 0, proposals = 0;
    for (std::int64_t learner = 1; learner <= 3; ++learner) {
        if (learner == leader) continue;
        const fs::path base = quorum_fixtures() / fmt::format("quorum{}-{}.0", learner, leader);
        INFO(base.filename().string());
        const std::vector<QuorumPacket> up = packets_of(test::slurp(base.string() + ".up"));
        const std::vector<QuorumPacket> down = packets_of(test::slurp(base.string() + ".down"));
        REQUIRE(up.size() >= 4);
        REQUIRE(down.size() >= 4);

        // Discovery: FOLLOWERINFO -> LEADERINFO -> ACKEPOCH.
        CHECK(up[0].type == kFollowerInfo);
        const LearnerInfo info = decode_learner_info(as_bytes(*up[0].data));
        CHECK(info.sid == learner);
        CHECK(info.protocol_version == kZab10Protocol);
        CHECK(encode_learner_info(info) == *up[0].data);
        CHECK(down[0].type == kLeaderInfo);
        CHECK(down[0].zxid == epoch << 32);
        CHECK(decode_int32(as_bytes(*down[0].data)) == kZab10Protocol);
        CHECK(up[1].type == kAckEpoch);
        // A new ensemble's learners are in step (an empty DIFF), or, when one
        // came after the first writes, sent the leader's tree.
        CHECK((down[1].type == kDiff || down[1].type == kSnap));

        // Sync ends with NEWLEADER (the leader's member list) and UPTODATE;
        // the learner ACKs both with the new epoch's zxid.
        std::size_t newleader = 0, uptodate = 0;
        for (std::size_t i = 0; i < down.size(); ++i) {
            if (down[i].type == kNewLeader && newleader == 0) newleader = i;
            if (down[i].type == kUpToDate && uptodate == 0) uptodate = i;
        }
        REQUIRE(newleader > 0);
        REQUIRE(uptodate > newleader);
        CHECK(down[newleader].zxid == epoch << 32);
        CHECK(*down[newleader].data == leader_config);
        CHECK(down[uptodate].zxid == -1);
        CHECK(up[2].type == kAck);
        CHECK(up[2].zxid == epoch << 32);
        CHECK(up[3].type == kAck);
        CHECK(up[3].zxid == epoch << 32);

        // Broadcast: each PROPOSAL carries a txn exactly as a log record
        // holds it, is ACKed by the learner and COMMITted in order.
        std::vector<std::int64_t> proposed, committed, acked;
        for (std::size_t i = uptodate; i < down.size(); ++i) {
            if (down[i].type == kProposal) {
                const zab::Txn t = zab::decode_txn(as_bytes(*down[i].data));
                CHECK(t.header.zxid == down[i].zxid);
                CHECK(zab::encode_txn(t) == *down[i].data);
                proposed.push_back(down[i].zxid);
            }
            if (down[i].type == kCommit) committed.push_back(down[i].zxid);
        }
        for (std::size_t i = 4; i < up.size(); ++i) {
            if (up[i].type == kAck) acked.push_back(up[i].zxid);
        }
        CHECK(proposed.size() >= 3);  // the session, the create, the setData, ...
        CHECK(committed == proposed);
        CHECK(acked == proposed);
        proposals += static_cast<int>(proposed.size());
        ++learners;
    }
    MESSAGE(learners, " learners, ", proposals, " proposals");
    CHECK(learners == 2);
}

TEST_CASE("quorum packets: a partial packet waits, a hostile length is an error") {
    QuorumPacket p;
    p.type = kRequest;
    p.zxid = -1;
    p.data = std::string("abc");
    p.authinfo = std::vector<node::AuthId>{{"ip", "127.0.0.1"}};
    const std::string bytes = encode_quorum_packet(p);
    std::size_t used = 0;
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        CHECK_FALSE(next_quorum_packet(as_bytes(bytes.substr(0, n)), used, zab::kDefaultMaxBuffer));
    }
    const auto back = next_quorum_packet(as_bytes(bytes + "more"), used, zab::kDefaultMaxBuffer);
    REQUIRE(back);
    CHECK(used == bytes.size());
    CHECK(back->authinfo == p.authinfo);

    std::string huge;
    append_be32(huge, kProposal);
    append_be64(huge, 1);
    append_be32(huge, 0x7fffffff);  // a data length no server accepts
    CHECK_THROWS_AS(next_quorum_packet(as_bytes(huge), used, zab::kDefaultMaxBuffer), FormatError);
    std::string negative;
    append_be32(negative, kAck);
    append_be64(negative, 1);
    append_be32(negative, 0xffffffffu);
    append_be32(negative, 0xfffffffeu);  // authinfo count -2
    CHECK_THROWS_AS(next_quorum_packet(as_bytes(negative), used, zab::kDefaultMaxBuffer), FormatError);

    CHECK(decode_learner_info(as_bytes(std::string(8, '\0'))).protocol_version == 1);  // pre-Zab-1.0 learner
}

TEST_CASE("a real leader's SNAP stream builds the leader's tree, and ours carries the same tree in as many bytes") {
    const std::string bytes = test::slurp(quorum_fixtures() / "quorum3-2.0.down");
    std::size_t pos = 0, used = 0;
    std::optional<QuorumPacket> snap;
    while (!snap) {
        const auto p = next_quorum_packet(as_bytes(bytes).subspan(pos), used, zab::kDefaultMaxBuffer);
        REQUIRE(p);
        pos += used;
        if (p->type == kSnap) snap = p;
    }
    zab::DataTreeBuilder builder;
    REQUIRE(read_snap_stream(as_bytes(bytes).subspan(pos), builder, used, zab::kDefaultMaxBuffer));
    const std::string theirs = bytes.substr(pos, used);
    pos += used;
    zab::DataTree tree = builder.finish(snap->zxid);
    CHECK(tree.last_processed_zxid() == snap->zxid);
    const std::size_t nodes = tree.nodes().size();
    CHECK(nodes > 600);

    // The next PROPOSAL carries the digest of the leader's tree after it:
    // the tree we built is the leader's, node for node.
    std::optional<zab::Txn> next;
    while (!next) {
        const auto p = next_quorum_packet(as_bytes(bytes).subspan(pos), used, zab::kDefaultMaxBuffer);
        REQUIRE(p);
        pos += used;
        if (p->type == kProposal) next = zab::decode_txn(as_bytes(*p->data));
    }
    REQUIRE(next->digest);
    std::vector<std::pair<std::int64_t, std::int32_t>> sessions(tree.sessions().begin(), tree.sessions().end());
    const std::string ours = encode_snap_stream(tree, sessions);
    tree.apply(*next);
    CHECK(tree.digest() == next->digest->tree_digest);

    // Ours: the same sessions, ACLs and nodes (children in another order
    // than Java's HashSet gives), so the same length, and it reads back to
    // the same tree.
    CHECK(ours.size() == theirs.size());
    zab::DataTreeBuilder again;
    REQUIRE(read_snap_stream(as_bytes(ours), again, used, zab::kDefaultMaxBuffer));
    CHECK(used == ours.size());
    zab::DataTree back = again.finish(snap->zxid);
    CHECK(back.nodes().size() == nodes);
    back.apply(*next);
    CHECK(back.digest() == next->digest->tree_digest);
}
