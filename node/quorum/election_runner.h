// FastLeaderElection over the election port: the state machine
// (fast_leader_election) fed by QuorumCnxManager's connections
// (election_net), with the monotonic clock. Blocking: the caller is looking
// for a leader and does nothing else meanwhile, as a LOOKING ZooKeeper
// server serves no client.
#pragma once

#include "node/persistence.h"
#include "node/quorum/election_net.h"
#include "node/quorum/fast_leader_election.h"

#include <cstdint>
#include <optional>

namespace zabra::node::quorum {

class ElectionRunner {
public:
    ElectionRunner(ElectionSetup setup, ElectionNet& net, LogLine log)
        : m_setup(setup), m_fle(std::move(setup)), m_net(net), m_log(std::move(log)) {}

    // One election (lookForLeader) until it decides, or nothing by
    // `deadline_ms` (mono_ms). Logs the decision as one line:
    //   election: LEADING|FOLLOWING leader <sid>, zxid 0x.., round <n>, peer epoch <e>, took <ms> ms
    std::optional<ElectionDecision> look(std::int64_t deadline_ms);

    // The same, driven by the caller's poll loop (the election net's fds in
    // it): begin a round, then pump after every poll until decided().
    void begin(std::int64_t now_ms);
    void pump(std::int64_t now_ms);
    const std::optional<ElectionDecision>& decided() const { return m_fle.decision(); }
    // When pump wants to run next without news (mono_ms).
    std::optional<std::int64_t> wake_at() const { return m_fle.deadline(); }
    // Once decided, with the caller's poll loop: answer as a settled server.
    void answer(PeerState state, const Vote& vote);
    // A new election setup (the database changed: zxid, epoch) for the next round.
    void reset(ElectionSetup setup);
    // Once decided: answers what comes in as a FOLLOWING or LEADING server
    // does (WorkerReceiver), until `deadline_ms`.
    void answer_settled(PeerState state, const Vote& vote, std::int64_t deadline_ms);

private:
    void send(const std::vector<Outgoing>& out);
    void poll_once(std::int64_t timeout_ms);

    ElectionSetup m_setup;
    std::int64_t m_started_ms = 0;
    FastLeaderElection m_fle;
    ElectionNet& m_net;
    LogLine m_log;
};

}  // namespace zabra::node::quorum
