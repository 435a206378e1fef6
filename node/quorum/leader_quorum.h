// A leader's side of the quorum port (doc/zab-leader.md): the new epoch from
// a quorum's acceptedEpochs, the epoch ACKs, each learner's sync, the
// NEWLEADER quorum, then broadcast (pipelined proposals, a commit on a
// quorum of ACKs in zxid order, the leader's own ACK only after its own
// fsync), as ZooKeeper 3.8's Leader and LearnerHandler run them.
//
// A state machine with no sockets, disks or clock. The caller hands it the
// learners' packets, its own txns to propose, the news that its log is
// durable, and ticks; it answers with steps carried out in order, each done
// (and durable, where it writes) before the next:
//
//   FOLLOWERINFO(a<<32) ×quorum → [write acceptedEpoch=e] LEADERINFO(e<<32) to each waiting learner
//   ACKEPOCH ×quorum            → [write currentEpoch=e] per learner: sync, NEWLEADER(e<<32, members)
//   ACK(e<<32) ×quorum          → serve; UPTODATE to each learner that ACKed NEWLEADER
//   propose(txn)                → PROPOSAL to every synced learner, log it; durable(z): the leader's own ACK
//   ACK(z) ×quorum              → COMMIT(z) to every synced learner, apply z (only after z-1)
//   PING / REQUEST / REVALIDATE → handed to the caller
//   tick                        → PING to each learner; step down without a quorum heard from
//                                 within syncLimit ticks (initLimit while establishing)
#pragma once

#include "libformat/zab/txn.h"
#include "node/quorum/quorum_packet.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace zabra::node::quorum {

namespace leader_step {
// Learners are named by the caller's handle for their connection (`conn`):
// a learner says which server it is only in its FOLLOWERINFO.
struct Send {
    std::uint64_t conn = 0;
    QuorumPacket packet;
};
struct WriteAcceptedEpoch {
    std::int64_t epoch = 0;
};
struct WriteCurrentEpoch {
    std::int64_t epoch = 0;
};
// Bring learner `sid` (on `conn`), whose last logged zxid is `peer_zxid`, up to date:
// the caller plans it (zab::plan_sync), logs the decision, and sends DIFF,
// TRUNC or SNAP with what follows. From here on the learner gets every
// broadcast packet.
struct SyncLearner {
    std::uint64_t conn = 0;
    std::int64_t sid = 0;
    std::int64_t peer_zxid = 0;
};
// Start serving clients at epoch `epoch` (the tree's zxid becomes epoch<<32).
struct Serve {
    std::int64_t epoch = 0;
};
// Append to the log; the caller reports durable() once it is (group commit).
struct Log {
    zab::Txn txn;
};
// Apply committed txn `zxid` (the next one) and answer its client.
struct Commit {
    std::int64_t zxid = 0;
};
// A learner's PING answer, REQUEST or REVALIDATE, for the caller.
struct FromLearner {
    std::uint64_t conn = 0;
    std::int64_t sid = 0;
    QuorumPacket packet;
};
// Close a learner's connection.
struct DropLearner {
    std::uint64_t conn = 0;
    std::string reason;
};
// Stop leading: back to looking for a leader. Uncommitted proposals are dropped.
struct StepDown {
    std::string reason;
};
}  // namespace leader_step

using LeaderStep = std::variant<leader_step::Send, leader_step::WriteAcceptedEpoch, leader_step::WriteCurrentEpoch,
                                leader_step::SyncLearner, leader_step::Serve, leader_step::Log, leader_step::Commit,
                                leader_step::FromLearner, leader_step::DropLearner, leader_step::StepDown>;

struct LeaderStart {
    std::int64_t sid = 0;
    std::set<std::int64_t> voters;     // every participant, the leader included
    std::int64_t accepted_epoch = 0;
    std::int64_t current_epoch = 0;
    std::int64_t last_zxid = 0;        // the newest txn it holds (lastProcessedZxid)
    std::string members;               // NEWLEADER's data: the member list (doc/zab-election.md)
    int init_limit_ticks = 10;
    int sync_limit_ticks = 5;
};

class LeaderQuorum {
public:
    enum class Phase { kEpoch, kEpochAck, kNewLeaderAck, kBroadcast, kStepped };

    explicit LeaderQuorum(LeaderStart s);

    // The leader's own part in the epoch (a quorum of one decides at once).
    std::vector<LeaderStep> start();
    std::vector<LeaderStep> receive(std::uint64_t conn, const QuorumPacket& p);
    void disconnected(std::uint64_t conn);
    // A txn with the next zxid (prepared by the caller), to propose.
    std::vector<LeaderStep> propose(zab::Txn txn);
    // The leader's own log is durable through `zxid`: its own ACKs.
    std::vector<LeaderStep> durable(std::int64_t zxid);
    // Every half tick, as Leader.lead's loop: PINGs, and the quorum check once a tick.
    std::vector<LeaderStep> half_tick();

    Phase phase() const { return m_phase; }
    std::int64_t epoch() const { return m_epoch; }
    std::int64_t last_proposed() const { return m_last_proposed; }
    std::int64_t last_committed() const { return m_last_committed; }
    std::size_t outstanding() const { return m_outstanding.size(); }
    // The sids of the learners connected, and of those synced (zk_followers / zk_synced_followers).
    std::vector<std::int64_t> learners() const;
    std::vector<std::int64_t> synced_learners() const;

private:
    struct Learner {
        enum class State { kConnected, kAwaitEpoch, kAwaitEpochAck, kAwaitSync, kAwaitNewLeaderAck, kAwaitServing, kSynced };
        State state = State::kConnected;
        std::int64_t sid = -1;
        std::int64_t peer_zxid = -1;
        bool forwarding = false;  // gets every broadcast packet
        int ticks_silent = 0;
    };
    struct Proposal {
        zab::Txn txn;
        std::set<std::int64_t> acks;
    };

    bool is_quorum(const std::set<std::int64_t>& sids) const;
    bool voter(std::int64_t sid) const { return m_s.voters.count(sid) > 0; }
    void send_to_forwarding(std::vector<LeaderStep>& out, const QuorumPacket& p);
    void check_epoch_quorum(std::vector<LeaderStep>& out);
    void on_follower_info(std::vector<LeaderStep>& out, std::uint64_t conn, Learner& l, const QuorumPacket& p);
    void on_ack_epoch(std::vector<LeaderStep>& out, std::uint64_t conn, Learner& l, const QuorumPacket& p);
    void start_sync(std::vector<LeaderStep>& out, std::uint64_t conn, Learner& l);
    void on_new_leader_ack(std::vector<LeaderStep>& out, std::uint64_t conn, Learner& l, const QuorumPacket& p);
    void start_serving(std::vector<LeaderStep>& out);
    void on_ack(std::int64_t sid, std::int64_t zxid);
    void try_commit(std::vector<LeaderStep>& out);
    void step_down(std::vector<LeaderStep>& out, std::string reason);

    LeaderStart m_s;
    Phase m_phase = Phase::kEpoch;
    std::int64_t m_epoch = -1;          // fixed once a quorum reported its acceptedEpoch
    std::int64_t m_epoch_candidate = 0;
    std::map<std::uint64_t, Learner> m_learners;
    std::set<std::int64_t> m_epoch_voters;     // FOLLOWERINFO seen (the leader included)
    std::set<std::int64_t> m_epoch_acks;       // ACKEPOCH seen
    std::set<std::int64_t> m_newleader_acks;   // ACK(NEWLEADER) seen
    std::vector<std::uint64_t> m_awaiting_uptodate;
    std::int64_t m_last_proposed = 0;
    std::int64_t m_last_committed = 0;
    std::int64_t m_durable = 0;
    std::deque<Proposal> m_outstanding;
    int m_half_ticks = 0;
    int m_ticks_establishing = 0;
};

}  // namespace zabra::node::quorum
