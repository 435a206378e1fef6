// FastLeaderElection as ZooKeeper 3.8 runs it (doc/zab-election.md), as a
// state machine with no sockets and no clock of its own: the caller hands it
// the notifications that arrive and the time, and sends what it returns.
//
//   start()                 a new round: logicalclock + 1, vote for myself, tell every voter (me too)
//   receive(from, n, now)   one notification (WorkerReceiver's replies and lookForLeader's rules)
//   on_timeout(now)         past deadline(): re-send (the wait doubles, 200 ms to 60 s), or decide
//                           once a quorum agreed and nothing better came for 200 ms (finalizeWait)
//   decision()              LEADING or FOLLOWING, and the vote, once decided
//
// Votes are ordered by peer epoch, then zxid, then sid (totalOrderPredicate).
#pragma once

#include "node/quorum/election_wire.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace zabra::node::quorum {

struct Vote {
    std::int64_t leader = 0;
    std::int64_t zxid = 0;
    std::int64_t election_epoch = 0;
    std::int64_t peer_epoch = 0;
    PeerState state = PeerState::Looking;
    std::int32_t version = kNotificationVersion;
};

// totalOrderPredicate: whether the vote (id, zxid, epoch) beats the current one.
bool vote_beats(std::int64_t new_id, std::int64_t new_zxid, std::int64_t new_epoch, std::int64_t cur_id,
                std::int64_t cur_zxid, std::int64_t cur_epoch);

struct ElectionSetup {
    std::int64_t my_id = 0;
    std::set<std::int64_t> voters;  // the participants of the config (QuorumMaj)
    std::int64_t last_logged_zxid = 0;  // every txn logged, committed or not (ZOOKEEPER-2845); -1: no database
    std::int64_t current_epoch = 0;     // the currentEpoch file
    std::string config;                 // the member list sent in every notification (config_text)
};

struct Outgoing {
    std::int64_t to = 0;
    Notification n;
};

struct ElectionDecision {
    PeerState state = PeerState::Looking;  // LEADING or FOLLOWING
    Vote vote;                             // leader, zxid, the round, peer epoch
};

class FastLeaderElection {
public:
    static constexpr std::int64_t kFinalizeWaitMs = 200;
    static constexpr std::int64_t kMinNotificationIntervalMs = 200;
    static constexpr std::int64_t kMaxNotificationIntervalMs = 60000;

    explicit FastLeaderElection(ElectionSetup setup) : m_s(std::move(setup)) {}

    // A new round (lookForLeader); `logical_clock` carries over between rounds of one process.
    std::vector<Outgoing> start(std::int64_t now_ms);
    std::vector<Outgoing> receive(std::int64_t from, const Notification& n, std::int64_t now_ms);
    std::optional<std::int64_t> deadline() const;
    std::vector<Outgoing> on_timeout(std::int64_t now_ms);
    const std::optional<ElectionDecision>& decision() const { return m_decision; }

    std::int64_t logical_clock() const { return m_logical_clock; }
    void set_logical_clock(std::int64_t c) { m_logical_clock = c; }
    const Vote& proposal() const { return m_proposal; }

    // What a server that has decided (FOLLOWING or LEADING, with its current
    // vote) answers a notification: its vote to a LOOKING sender or to a
    // sender that is not a voter, nothing otherwise.
    static std::optional<Outgoing> answer_when_settled(const ElectionSetup& setup, PeerState my_state,
                                                       const Vote& current, std::int64_t from,
                                                       const Notification& n);

private:
    Notification notification(const Vote& v, PeerState state) const;
    std::vector<Outgoing> notify_all() const;
    std::vector<Outgoing> handle(std::int64_t from, const Notification& n, std::int64_t now_ms);
    bool has_quorum(const std::map<std::int64_t, Vote>& votes, const Vote& target) const;
    bool check_leader(const std::map<std::int64_t, Vote>& votes, std::int64_t leader, std::int64_t election_epoch) const;
    void decide(PeerState state, const Vote& v);
    void update_proposal(std::int64_t leader, std::int64_t zxid, std::int64_t epoch);

    ElectionSetup m_s;
    std::int64_t m_logical_clock = 0;
    Vote m_proposal;
    std::map<std::int64_t, Vote> m_recvset;
    std::map<std::int64_t, Vote> m_outofelection;
    std::int64_t m_not_timeout = kMinNotificationIntervalMs;
    std::int64_t m_next_resend = 0;
    std::optional<std::int64_t> m_finalize_until;  // a quorum agrees: decide unless something better comes by then
    std::optional<ElectionDecision> m_decision;
};

}  // namespace zabra::node::quorum
