// FastLeaderElection (node/quorum/fast_leader_election) driven through a
// simulated network of servers: no sockets, a virtual clock. The rules are
// ZooKeeper 3.8's (doc/zab-election.md); the mixed-ensemble peer tests hold
// them against real servers once zabra-node takes part in elections.
#include "node/quorum/fast_leader_election.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <queue>
#include <tuple>

using namespace zabra::node::quorum;

namespace {

struct Msg {
    std::int64_t at;
    std::int64_t seq;
    std::int64_t from, to;
    Notification n;
    bool operator>(const Msg& o) const { return std::tie(at, seq) > std::tie(o.at, o.seq); }
};

// Servers that are LOOKING run a FastLeaderElection; settled ones answer as
// WorkerReceiver does. Every message takes `delay` ms; `cut` drops messages.
struct Net {
    std::set<std::int64_t> voters;
    std::map<std::int64_t, ElectionSetup> setups;
    std::map<std::int64_t, std::unique_ptr<FastLeaderElection>> looking;
    std::map<std::int64_t, std::pair<PeerState, Vote>> settled;
    std::priority_queue<Msg, std::vector<Msg>, std::greater<>> wire;
    std::int64_t now = 0, seq = 0, delay = 1;
    std::set<std::pair<std::int64_t, std::int64_t>> cut;
    std::map<std::int64_t, std::int64_t> decided_at;

    void add(std::int64_t sid, std::int64_t zxid, std::int64_t epoch) {
        voters.insert(sid);
        setups[sid] = ElectionSetup{sid, {}, zxid, epoch, "server.x"};
    }
    void send(std::int64_t from, const std::vector<Outgoing>& out) {
        for (const Outgoing& o : out) {
            if (!cut.count({from, o.to})) wire.push({now + delay, seq++, from, o.to, o.n});
        }
    }
    void start(std::int64_t sid) {
        setups[sid].voters = voters;
        auto& fle = looking[sid];
        if (!fle) fle = std::make_unique<FastLeaderElection>(setups[sid]);
        send(sid, fle->start(now));
    }
    void settle(std::int64_t sid, PeerState state, const Vote& v) {
        setups[sid].voters = voters;
        looking.erase(sid);
        settled[sid] = {state, v};
    }
    // Runs until every LOOKING server decided, or `until`.
    void run(std::int64_t until) {
        while (now < until) {
            std::optional<std::int64_t> next;
            if (!wire.empty()) next = wire.top().at;
            for (auto& [sid, fle] : looking) {
                if (!fle->decision() && fle->deadline() && (!next || *fle->deadline() < *next)) next = fle->deadline();
            }
            if (!next || *next > until) break;
            now = *next;
            if (!wire.empty() && wire.top().at == now) {
                Msg m = wire.top();
                wire.pop();
                if (auto it = looking.find(m.to); it != looking.end() && !it->second->decision()) {
                    send(m.to, it->second->receive(m.from, m.n, now));
                    note(m.to);
                } else if (auto st = settled.find(m.to); st != settled.end()) {
                    if (auto a = FastLeaderElection::answer_when_settled(setups[m.to], st->second.first,
                                                                         st->second.second, m.from, m.n)) {
                        send(m.to, {*a});
                    }
                }
                continue;
            }
            for (auto& [sid, fle] : looking) {
                if (!fle->decision() && fle->deadline() && *fle->deadline() <= now) {
                    send(sid, fle->on_timeout(now));
                    note(sid);
                }
            }
        }
    }
    // Servers 1 (FOLLOWING) and 3 (LEADING) settled on leader 3 in `round`,
    // with these peer epochs in their votes; then server 2 starts looking.
    void join_established(std::int64_t round, std::int64_t leader_peer_epoch, std::int64_t follower_peer_epoch,
                          std::int64_t until) {
        Vote v;
        v.leader = 3;
        v.election_epoch = round;
        v.peer_epoch = leader_peer_epoch;
        settle(3, PeerState::Leading, v);
        v.peer_epoch = follower_peer_epoch;
        settle(1, PeerState::Following, v);
        start(2);
        run(until);
    }
    void note(std::int64_t sid) {
        if (looking[sid]->decision() && !decided_at.count(sid)) decided_at[sid] = now;
    }
    const ElectionDecision& decision(std::int64_t sid) {
        REQUIRE(looking.at(sid)->decision());
        return *looking.at(sid)->decision();
    }
};

}  // namespace

TEST_CASE("election: votes are ordered by peer epoch, then zxid, then sid") {
    CHECK(vote_beats(1, 5, 2, 3, 9, 1));        // a later epoch beats a larger zxid
    CHECK(vote_beats(1, 9, 1, 3, 5, 1));        // then the larger zxid
    CHECK(vote_beats(3, 5, 1, 1, 5, 1));        // then the larger sid
    CHECK_FALSE(vote_beats(2, 5, 1, 2, 5, 1));  // a vote does not beat itself
    CHECK_FALSE(vote_beats(3, -1, 1, 1, 0, 1));
}

TEST_CASE("election: three fresh servers elect the largest sid, 200 ms after the last vote") {
    Net net;
    for (int s = 1; s <= 3; ++s) net.add(s, 0, 0);
    for (int s = 1; s <= 3; ++s) net.start(s);
    net.run(10000);
    for (int s = 1; s <= 3; ++s) {
        INFO("server ", s);
        CHECK(net.decision(s).vote.leader == 3);
        CHECK(net.decision(s).vote.election_epoch == 1);
        CHECK(net.decision(s).state == (s == 3 ? PeerState::Leading : PeerState::Following));
        CHECK(net.decided_at[s] >= FastLeaderElection::kFinalizeWaitMs);
        CHECK(net.decided_at[s] < 1000);
    }
}

TEST_CASE("election: the most up-to-date log wins, then the newest epoch, whatever the sids") {
    SUBCASE("zxid") {
        Net net;
        net.add(1, 0x100000007, 1);  // logged more (committed or not: ZOOKEEPER-2845)
        net.add(2, 0x100000003, 1);
        net.add(3, 0x100000003, 1);
        for (int s = 1; s <= 3; ++s) net.start(s);
        net.run(10000);
        for (int s = 1; s <= 3; ++s) CHECK(net.decision(s).vote.leader == 1);
        CHECK(net.decision(1).state == PeerState::Leading);
        CHECK(net.decision(1).vote.zxid == 0x100000007);
    }
    SUBCASE("epoch") {
        Net net;
        net.add(1, 0x100000009, 1);
        net.add(2, 0x200000001, 2);
        net.add(3, 0x100000009, 1);
        for (int s = 1; s <= 3; ++s) net.start(s);
        net.run(10000);
        for (int s = 1; s <= 3; ++s) CHECK(net.decision(s).vote.leader == 2);
    }
}

TEST_CASE("election: two of three decide without the third, whose votes never arrive") {
    Net net;
    for (int s = 1; s <= 3; ++s) net.add(s, 0, 0);
    net.cut = {{3, 1}, {3, 2}, {1, 3}, {2, 3}};
    for (int s = 1; s <= 3; ++s) net.start(s);
    net.run(20000);
    CHECK(net.decision(1).vote.leader == 2);
    CHECK(net.decision(2).state == PeerState::Leading);
    CHECK_FALSE(net.looking.at(3)->decision());  // alone it has no quorum
}

TEST_CASE("election: a server that starts late joins the established leader from its answers") {
    Net net;
    for (int s = 1; s <= 3; ++s) net.add(s, 0x100000005, 1);
    // The ensemble's round, not the newcomer's first; both votes refreshed to
    // the new epoch after sync (ZOOKEEPER-1732).
    net.join_established(4, 2, 2, 10000);
    const ElectionDecision& d = net.decision(2);
    CHECK(d.state == PeerState::Following);
    CHECK(d.vote.leader == 3);
    CHECK(net.looking.at(2)->logical_clock() == 4);  // it takes the ensemble's round
}

TEST_CASE("election: a leader that kept its old peer epoch is never joined (ZOOKEEPER-1732)") {
    Net net;
    for (int s = 1; s <= 3; ++s) net.add(s, 0x100000005, 1);
    // Another round than the newcomer's, so only out-of-election votes count;
    // the leader's peer epoch was not refreshed.
    net.join_established(4, 0, 1, 20000);
    CHECK_FALSE(net.looking.at(2)->decision());  // LOOKING, re-sending with a growing wait
}

TEST_CASE("election: a server with no database (zxid -1) takes no part among LOOKING servers") {
    Net net;
    net.add(1, 0, 0);
    net.add(2, 0, 0);
    net.add(3, -1, 0);
    for (int s = 1; s <= 3; ++s) net.start(s);
    net.run(20000);
    CHECK(net.decision(1).vote.leader == 2);
    CHECK(net.decision(2).vote.leader == 2);
    CHECK_FALSE(net.looking.at(3)->decision());
}

TEST_CASE("election: a LOOKING sender of an older round gets my proposal back, and re-sends wait 200, 400, 800 ms") {
    ElectionSetup s{1, {1, 2, 3}, 0x100000002, 1, "cfg"};
    FastLeaderElection fle(s);
    for (int round = 0; round < 3; ++round) fle.start(0);  // logicalclock 3
    Notification old;
    old.leader = 2;
    old.zxid = 0x100000001;
    old.election_epoch = 1;
    old.peer_epoch = 1;
    const auto out = fle.receive(2, old, 10);
    REQUIRE(out.size() == 1);
    CHECK(out[0].to == 2);
    CHECK(out[0].n.leader == 1);
    CHECK(out[0].n.election_epoch == 3);
    CHECK(out[0].n.config == "cfg");

    FastLeaderElection quiet(s);
    quiet.start(0);
    std::vector<std::int64_t> resends;
    for (int i = 0; i < 4; ++i) {
        const std::int64_t at = *quiet.deadline();
        CHECK(quiet.on_timeout(at).size() == 3);  // to every voter, itself too
        resends.push_back(at);
    }
    CHECK(resends == std::vector<std::int64_t>{200, 600, 1400, 3000});
}

TEST_CASE("election: in the newcomer's own round a leader's and a follower's answers decide, peer epochs aside") {
    Net net;
    for (int s = 1; s <= 3; ++s) net.add(s, 0x100000005, 1);
    net.join_established(1, 0, 1, 10000);  // round 1: the one a fresh process starts with
    CHECK(net.decision(2).vote.leader == 3);  // votes of this round compare the leader only
}
