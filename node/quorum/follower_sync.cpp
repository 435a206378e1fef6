#include "node/quorum/follower_sync.h"

#include "libformat/common/error.h"
#include "libformat/zab/txn_codec.h"

#include <fmt/format.h>

namespace zabra::node::quorum {

namespace {

QuorumPacket ack(std::int64_t zxid) { return QuorumPacket{kAck, zxid, std::nullopt, std::nullopt}; }

std::int64_t epoch_of(std::int64_t zxid) { return zxid >> 32; }

}  // namespace

std::vector<FollowerStep> FollowerSync::start() {
    // Learner.registerWithLeader: configVersion 0, as a member with no dynamic config reports it.
    const std::string info = encode_learner_info(LearnerInfo{m_s.sid, kZab10Protocol, 0});
    return {follower_step::Send{QuorumPacket{kFollowerInfo, m_s.accepted_epoch << 32, info, std::nullopt}}};
}

zab::Txn FollowerSync::proposal_txn(const QuorumPacket& p) {
    if (!p.data) throw FollowerError(fmt::format("PROPOSAL 0x{:x} without a txn", p.zxid), 0);
    try {
        zab::Txn t = zab::decode_txn(as_bytes(*p.data));
        if (t.header.zxid != p.zxid) {
            throw FollowerError(fmt::format("PROPOSAL 0x{:x} holds txn 0x{:x}", p.zxid, t.header.zxid), 0);
        }
        return t;
    } catch (const FormatError& e) {
        throw FollowerError(fmt::format("PROPOSAL 0x{:x} does not decode: {}", p.zxid, e.what()), 0);
    }
}

std::vector<FollowerStep> FollowerSync::receive(const QuorumPacket& p) {
    switch (m_phase) {
    case Phase::kDiscovery: return on_leader_info(p);
    case Phase::kAwaitSync:
    case Phase::kSyncing:
    case Phase::kAwaitUpToDate: return on_sync_packet(p);
    case Phase::kBroadcast: return on_broadcast(p);
    }
    return {};
}

std::vector<FollowerStep> FollowerSync::on_leader_info(const QuorumPacket& p) {
    if (p.type == kNewLeader) {
        throw FollowerError("the leader speaks the protocol before Zab 1.0 (NEWLEADER first), which zabra-node does "
                            "not", 0);
    }
    if (p.type != kLeaderInfo) {
        throw FollowerError(fmt::format("First packet should have been NEWLEADER, got {}", packet_type_name(p.type)), 0);
    }
    if (!p.data || p.data->size() < 4) throw FollowerError("LEADERINFO without a protocol version", 0);
    const std::int64_t e = epoch_of(p.zxid);
    std::vector<FollowerStep> out;
    std::int32_t reported = -1;
    if (e > m_s.accepted_epoch) {
        // Learner.registerWithLeader: accept the epoch durably, then report the one whose history we hold.
        out.push_back(follower_step::WriteAcceptedEpoch{e});
        m_s.accepted_epoch = e;
        reported = static_cast<std::int32_t>(m_s.current_epoch);
    } else if (e < m_s.accepted_epoch) {
        throw FollowerError(fmt::format("Leaders epoch, {}, is less than accepted epoch, {}", e, m_s.accepted_epoch), 0);
    }
    m_epoch = e;
    out.push_back(follower_step::Send{QuorumPacket{kAckEpoch, m_s.last_logged_zxid, encode_int32(reported), std::nullopt}});
    m_phase = Phase::kAwaitSync;
    return out;
}

std::vector<FollowerStep> FollowerSync::on_sync_packet(const QuorumPacket& p) {
    std::vector<FollowerStep> out;
    if (m_phase == Phase::kAwaitSync) {
        m_sync_kind = p.type;
        m_sync_zxid = p.zxid;
        m_phase = Phase::kSyncing;
        switch (p.type) {
        case kDiff: return out;
        case kTrunc:
            m_apply_at_commit_in_sync = true;
            out.push_back(follower_step::Truncate{p.zxid});
            return out;
        case kSnap:
            m_apply_at_commit_in_sync = true;
            out.push_back(follower_step::LoadSnapshot{p.zxid});
            return out;
        default:
            throw FollowerError(fmt::format("Got unexpected packet from leader: {}, exiting", packet_type_name(p.type)),
                                13);
        }
    }
    switch (p.type) {
    case kProposal:
        if (m_phase == Phase::kSyncing) {
            m_stash.push_back(proposal_txn(p));
        } else {
            m_after_newleader.push_back(proposal_txn(p));
        }
        break;
    case kCommit:
        if (m_phase == Phase::kSyncing && m_apply_at_commit_in_sync) {
            // The received tree is not on disk yet: the txn is applied in
            // memory and reaches the disk with the snapshot at NEWLEADER.
            if (!m_stash.empty() && m_stash.front().header.zxid == p.zxid) {
                out.push_back(follower_step::Apply{std::move(m_stash.front())});
                m_stash.pop_front();
            }
        } else {
            m_committed.push_back(p.zxid);
        }
        break;
    case kNewLeader:
        if (m_phase != Phase::kSyncing) throw FollowerError("a second NEWLEADER", 0);
        return on_new_leader(p);
    case kUpToDate:
        if (m_phase != Phase::kAwaitUpToDate) throw FollowerError("UPTODATE before NEWLEADER", 0);
        return on_up_to_date();
    default: break;  // PINGs and the rest are not answered during a sync (Learner.syncWithLeader)
    }
    return out;
}

std::vector<FollowerStep> FollowerSync::on_new_leader(const QuorumPacket&) {
    // Durable in this order before the leader hears from us: the received
    // tree, the txns of the sync, the epoch whose history that is; then the
    // ACK, which must be the first packet after NEWLEADER.
    std::vector<FollowerStep> out;
    if (m_sync_kind != kDiff) out.push_back(follower_step::TakeSnapshot{});
    if (!m_stash.empty()) {
        follower_step::Log log{{m_stash.begin(), m_stash.end()}, true};
        for (const zab::Txn& t : m_stash) m_stash_acks.push_back(t.header.zxid);
        out.push_back(std::move(log));
        m_durable = m_stash.back().header.zxid;
        for (zab::Txn& t : m_stash) m_uncommitted.push_back(std::move(t));
        m_stash.clear();
    }
    out.push_back(follower_step::WriteCurrentEpoch{m_epoch});
    m_s.current_epoch = m_epoch;
    out.push_back(follower_step::Send{ack(m_epoch << 32)});
    m_phase = Phase::kAwaitUpToDate;
    return out;
}

std::vector<FollowerStep> FollowerSync::on_up_to_date() {
    std::vector<FollowerStep> out;
    out.push_back(follower_step::Send{ack(m_epoch << 32)});
    for (const std::int64_t z : m_stash_acks) out.push_back(follower_step::Send{ack(z)});
    m_stash_acks.clear();
    if (!m_after_newleader.empty()) {
        follower_step::Log log{{m_after_newleader.begin(), m_after_newleader.end()}, false};
        for (zab::Txn& t : m_after_newleader) {
            m_unacked.push_back(t.header.zxid);
            m_uncommitted.push_back(std::move(t));
        }
        m_after_newleader.clear();
        out.push_back(std::move(log));
    }
    m_phase = Phase::kBroadcast;
    for (const std::int64_t z : m_committed) {
        std::vector<FollowerStep> applied = on_broadcast(QuorumPacket{kCommit, z, std::nullopt, std::nullopt});
        for (FollowerStep& s : applied) out.push_back(std::move(s));
    }
    m_committed.clear();
    out.push_back(follower_step::Serve{m_epoch});
    return out;
}

std::vector<FollowerStep> FollowerSync::on_broadcast(const QuorumPacket& p) {
    std::vector<FollowerStep> out;
    switch (p.type) {
    case kProposal: {
        zab::Txn t = proposal_txn(p);
        m_unacked.push_back(t.header.zxid);
        out.push_back(follower_step::Log{{t}, false});
        m_uncommitted.push_back(std::move(t));
        break;
    }
    case kCommit:
        if (m_uncommitted.empty()) break;  // FollowerZooKeeperServer.commit: only a warning
        if (m_uncommitted.front().header.zxid != p.zxid) {
            throw FollowerError(fmt::format("Committing zxid 0x{:x} but next pending txn 0x{:x}", p.zxid,
                                            m_uncommitted.front().header.zxid),
                                12);
        }
        out.push_back(follower_step::Apply{std::move(m_uncommitted.front())});
        m_uncommitted.pop_front();
        break;
    case kPing:
    case kSync:
    case kRevalidate: out.push_back(follower_step::FromLeader{p}); break;
    default: break;  // Follower.processPacket: an unknown type is only logged
    }
    return out;
}

std::vector<FollowerStep> FollowerSync::durable(std::int64_t zxid) {
    std::vector<FollowerStep> out;
    if (zxid > m_durable) m_durable = zxid;
    while (!m_unacked.empty() && m_unacked.front() <= m_durable) {
        out.push_back(follower_step::Send{ack(m_unacked.front())});
        m_unacked.pop_front();
    }
    return out;
}

}  // namespace zabra::node::quorum
