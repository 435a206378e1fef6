// A follower's side of the quorum port (doc/zab-follower.md): discovery,
// sync and broadcast as ZooKeeper 3.8's Learner.registerWithLeader,
// Learner.syncWithLeader and Follower.processPacket run them, with the
// persistence order of ZOOKEEPER-4785 (3.8.5): the synced txns are durable
// first, then currentEpoch, then the ACK of NEWLEADER.
//
// A state machine with no sockets, disks or clock. It is given the
// leader's packets (after SNAP, the caller has read the snapshot stream that
// follows and holds its tree) and the news that logged txns are durable; it
// answers with steps that the caller carries out in order, each one done
// (and durable, where it writes) before the next:
//
//   start                     → send FOLLOWERINFO(acceptedEpoch<<32, LearnerInfo)
//   LEADERINFO(e<<32)         → [write acceptedEpoch=e] send ACKEPOCH(lastLogged, currentEpoch | -1)
//   DIFF | TRUNC(z) | SNAP(z) → nothing | truncate the log after z | take the received tree
//   PROPOSAL, COMMIT (sync)   → stashed; after TRUNC/SNAP a COMMIT applies the stashed head at once
//   NEWLEADER(e<<32)          → [snapshot (TRUNC/SNAP)] log+fsync the stash, write currentEpoch=e, send ACK(e<<32)
//   UPTODATE                  → send ACK(e<<32), ACKs of the stash, log what came after NEWLEADER,
//                               apply the commits seen, serve
//   PROPOSAL (broadcast)      → log; once durable: send ACK(zxid)
//   COMMIT(z) (broadcast)     → apply; z must be the oldest uncommitted proposal
//   PING, SYNC, REVALIDATE    → handed to the caller (it knows the sessions and the clients)
#pragma once

#include "libformat/zab/txn.h"
#include "node/quorum/quorum_packet.h"

#include <cstdint>
#include <deque>
#include <string>
#include <variant>
#include <vector>

namespace zabra::node::quorum {

namespace follower_step {
struct Send {
    QuorumPacket packet;
};
struct WriteAcceptedEpoch {
    std::int64_t epoch = 0;
};
struct WriteCurrentEpoch {
    std::int64_t epoch = 0;
};
// TRUNC: cut the txn log after `zxid` and rebuild the tree from disk.
struct Truncate {
    std::int64_t zxid = 0;
};
// SNAP: the tree read after the SNAP packet replaces the database (in
// memory; the disk changes at TakeSnapshot).
struct LoadSnapshot {
    std::int64_t zxid = 0;
};
// snapshot.<last applied zxid> of the tree, fsynced.
struct TakeSnapshot {};
// Append to the txn log. sync: fsync before the next step; otherwise the
// caller reports durable() when it has (group commit).
struct Log {
    std::vector<zab::Txn> txns;
    bool sync = false;
};
// Apply a committed txn to the tree.
struct Apply {
    zab::Txn txn;
};
// UPTODATE: serve clients; the vote's epoch becomes `epoch` (ZOOKEEPER-1732).
struct Serve {
    std::int64_t epoch = 0;
};
// The leader's PING, SYNC or REVALIDATE, for the caller to answer or complete.
struct FromLeader {
    QuorumPacket packet;
};
}  // namespace follower_step

using FollowerStep = std::variant<follower_step::Send, follower_step::WriteAcceptedEpoch,
                                  follower_step::WriteCurrentEpoch, follower_step::Truncate,
                                  follower_step::LoadSnapshot, follower_step::TakeSnapshot, follower_step::Log,
                                  follower_step::Apply, follower_step::Serve, follower_step::FromLeader>;

// The leader broke the protocol, or asked what this follower must refuse:
// the connection ends and the server looks for a leader again. `exit_code`
// is ZooKeeper's System.exit code where it would stop instead (12: a COMMIT
// that is not the next pending txn; 13: a sync that starts with a packet
// that is not DIFF, TRUNC or SNAP), 0 where it only goes back to LOOKING.
struct FollowerError : std::runtime_error {
    FollowerError(const std::string& what, int code) : std::runtime_error(what), exit_code(code) {}
    int exit_code;
};

struct FollowerStart {
    std::int64_t sid = 0;
    std::int64_t accepted_epoch = 0;
    std::int64_t current_epoch = 0;
    std::int64_t last_logged_zxid = 0;  // the newest txn durably in snapshot + log, committed or not
};

class FollowerSync {
public:
    enum class Phase { kDiscovery, kAwaitSync, kSyncing, kAwaitUpToDate, kBroadcast };

    explicit FollowerSync(FollowerStart s) : m_s(s) {}

    std::vector<FollowerStep> start();
    // One packet from the leader. Throws FollowerError.
    std::vector<FollowerStep> receive(const QuorumPacket& p);
    // The log is durable through `zxid`: the ACKs that were waiting for it.
    std::vector<FollowerStep> durable(std::int64_t zxid);

    Phase phase() const { return m_phase; }
    std::int64_t new_epoch() const { return m_epoch; }
    // What the sync began with: kDiff, kTrunc or kSnap (0 before).
    std::int32_t sync_kind() const { return m_sync_kind; }
    std::int64_t sync_zxid() const { return m_sync_zxid; }

private:
    std::vector<FollowerStep> on_leader_info(const QuorumPacket& p);
    std::vector<FollowerStep> on_sync_packet(const QuorumPacket& p);
    std::vector<FollowerStep> on_new_leader(const QuorumPacket& p);
    std::vector<FollowerStep> on_up_to_date();
    std::vector<FollowerStep> on_broadcast(const QuorumPacket& p);
    zab::Txn proposal_txn(const QuorumPacket& p);

    FollowerStart m_s;
    Phase m_phase = Phase::kDiscovery;
    std::int64_t m_epoch = -1;
    std::int32_t m_sync_kind = 0;
    std::int64_t m_sync_zxid = 0;
    bool m_apply_at_commit_in_sync = false;  // TRUNC/SNAP: commits before NEWLEADER apply in memory at once
    std::int64_t m_last_proposed = 0;
    std::deque<zab::Txn> m_stash;            // sync: proposals not yet applied
    std::vector<std::int64_t> m_committed;   // sync: COMMITs to apply at UPTODATE
    std::vector<std::int64_t> m_stash_acks;  // logged at NEWLEADER, ACKed after UPTODATE's ACK
    std::deque<zab::Txn> m_after_newleader;  // PROPOSALs between NEWLEADER and UPTODATE
    std::deque<std::int64_t> m_unacked;      // broadcast: logged, ACK waits for durable()
    std::deque<zab::Txn> m_uncommitted;      // broadcast: logged, not yet COMMITted
    std::int64_t m_durable = 0;
};

}  // namespace zabra::node::quorum
