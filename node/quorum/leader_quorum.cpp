#include "node/quorum/leader_quorum.h"

#include "libformat/common/error.h"
#include "libformat/zab/txn_codec.h"

#include <fmt/format.h>

#include <stdexcept>

namespace zabra::node::quorum {

namespace {

std::int64_t epoch_of(std::int64_t zxid) { return zxid >> 32; }

QuorumPacket packet(std::int32_t type, std::int64_t zxid, std::optional<std::string> data = std::nullopt) {
    return QuorumPacket{type, zxid, std::move(data), std::nullopt};
}

std::string sid_list(const std::set<std::int64_t>& sids) {
    std::string out;
    for (const std::int64_t s : sids) out += (out.empty() ? "" : ", ") + std::to_string(s);
    return "[" + out + "]";
}

}  // namespace

LeaderQuorum::LeaderQuorum(LeaderStart s) : m_s(std::move(s)) {
    // Leader.getEpochToPropose(myid, acceptedEpoch): the epoch starts above the leader's own.
    m_epoch_candidate = m_s.accepted_epoch + 1;
    m_epoch_voters.insert(m_s.sid);
    m_epoch_acks.insert(m_s.sid);
    m_newleader_acks.insert(m_s.sid);
}

bool LeaderQuorum::is_quorum(const std::set<std::int64_t>& sids) const {
    std::size_t n = 0;
    for (const std::int64_t s : sids) n += voter(s) ? 1 : 0;
    return n * 2 > m_s.voters.size();  // QuorumMaj
}

std::vector<LeaderStep> LeaderQuorum::start() {
    std::vector<LeaderStep> out;
    check_epoch_quorum(out);
    return out;
}

void LeaderQuorum::send_to_forwarding(std::vector<LeaderStep>& out, const QuorumPacket& p) {
    for (const auto& [conn, l] : m_learners) {
        if (l.forwarding) out.push_back(leader_step::Send{conn, p});
    }
}

std::vector<LeaderStep> LeaderQuorum::receive(std::uint64_t conn, const QuorumPacket& p) {
    std::vector<LeaderStep> out;
    if (m_phase == Phase::kStepped) return out;
    Learner& l = m_learners[conn];
    l.ticks_silent = 0;  // any packet counts as a sign of life (LearnerHandler's ack deadline)
    using State = Learner::State;
    switch (l.state) {
    case State::kConnected: on_follower_info(out, conn, l, p); break;
    case State::kAwaitEpoch:
        out.push_back(leader_step::DropLearner{conn, fmt::format("{} before LEADERINFO", packet_type_name(p.type))});
        m_learners.erase(conn);
        break;
    case State::kAwaitEpochAck: on_ack_epoch(out, conn, l, p); break;
    case State::kAwaitSync: break;  // waits for the epoch's quorum; nothing else comes before NEWLEADER
    case State::kAwaitNewLeaderAck: on_new_leader_ack(out, conn, l, p); break;
    case State::kAwaitServing:
    case State::kSynced:
        switch (p.type) {
        case kAck: on_ack(l.sid, p.zxid); try_commit(out); break;
        case kPing:
        case kRequest:
        case kRevalidate: out.push_back(leader_step::FromLearner{conn, l.sid, p}); break;
        default: break;  // LearnerHandler.run: "unexpected quorum packet", ignored
        }
        break;
    }
    return out;
}

void LeaderQuorum::on_follower_info(std::vector<LeaderStep>& out, std::uint64_t conn, Learner& l,
                                    const QuorumPacket& p) {
    if (p.type != kFollowerInfo) {
        const std::string why = p.type == kObserverInfo ? "observers are not supported"
                                                         : fmt::format("First packet {} is not FOLLOWERINFO or OBSERVERINFO!",
                                                                       packet_type_name(p.type));
        out.push_back(leader_step::DropLearner{conn, why});
        m_learners.erase(conn);
        return;
    }
    LearnerInfo info;
    try {
        info = decode_learner_info(as_bytes(p.data.value_or(std::string())));
    } catch (const FormatError& e) {
        out.push_back(leader_step::DropLearner{conn, fmt::format("FOLLOWERINFO does not decode: {}", e.what())});
        m_learners.erase(conn);
        return;
    }
    if (p.data.value_or(std::string()).size() < 8 || info.protocol_version < kZab10Protocol) {
        out.push_back(leader_step::DropLearner{conn, "a learner from before Zab 1.0 (no sid or protocol version)"});
        m_learners.erase(conn);
        return;
    }
    l.sid = info.sid;
    l.state = Learner::State::kAwaitEpoch;
    if (m_epoch < 0) {
        const std::int64_t accepted = epoch_of(p.zxid);
        if (accepted >= m_epoch_candidate) m_epoch_candidate = accepted + 1;
        if (voter(l.sid)) m_epoch_voters.insert(l.sid);
        check_epoch_quorum(out);
    } else {
        out.push_back(leader_step::Send{conn, packet(kLeaderInfo, m_epoch << 32, encode_int32(kZab10Protocol))});
        l.state = Learner::State::kAwaitEpochAck;
    }
}

void LeaderQuorum::check_epoch_quorum(std::vector<LeaderStep>& out) {
    if (m_epoch >= 0 || !is_quorum(m_epoch_voters)) return;
    m_epoch = m_epoch_candidate;
    out.push_back(leader_step::WriteAcceptedEpoch{m_epoch});
    m_phase = Phase::kEpochAck;
    m_ticks_establishing = 0;
    for (auto& [conn, l] : m_learners) {
        if (l.state != Learner::State::kAwaitEpoch) continue;
        out.push_back(leader_step::Send{conn, packet(kLeaderInfo, m_epoch << 32, encode_int32(kZab10Protocol))});
        l.state = Learner::State::kAwaitEpochAck;
    }
    if (is_quorum(m_epoch_acks)) {  // a quorum of one
        out.push_back(leader_step::WriteCurrentEpoch{m_epoch});
        m_phase = Phase::kNewLeaderAck;
        if (is_quorum(m_newleader_acks)) start_serving(out);
    }
}

void LeaderQuorum::on_ack_epoch(std::vector<LeaderStep>& out, std::uint64_t conn, Learner& l, const QuorumPacket& p) {
    if (p.type != kAckEpoch || !p.data || p.data->size() < 4) {
        out.push_back(leader_step::DropLearner{conn, fmt::format("expected ACKEPOCH, got {}", packet_type_name(p.type))});
        m_learners.erase(conn);
        return;
    }
    const std::int32_t their_epoch = decode_int32(as_bytes(*p.data));
    // Leader.waitForEpochAck: a learner with a newer history than ours cannot follow us.
    if (their_epoch != -1 && (their_epoch > m_s.current_epoch ||
                              (their_epoch == m_s.current_epoch && p.zxid > m_s.last_zxid))) {
        out.push_back(leader_step::DropLearner{
            conn, fmt::format("Follower is ahead of the leader, leader summary: {} (current epoch), {} (last zxid)",
                              m_s.current_epoch, m_s.last_zxid)});
        m_learners.erase(conn);
        return;
    }
    l.peer_zxid = p.zxid;
    l.state = Learner::State::kAwaitSync;
    if (m_phase != Phase::kEpochAck) {
        start_sync(out, conn, l);
        return;
    }
    if (voter(l.sid) && p.zxid != -1) m_epoch_acks.insert(l.sid);
    if (!is_quorum(m_epoch_acks)) return;
    out.push_back(leader_step::WriteCurrentEpoch{m_epoch});
    m_s.current_epoch = m_epoch;
    m_phase = Phase::kNewLeaderAck;
    m_ticks_establishing = 0;
    for (auto& [c, learner] : m_learners) {
        if (learner.state == Learner::State::kAwaitSync) start_sync(out, c, learner);
    }
}

void LeaderQuorum::start_sync(std::vector<LeaderStep>& out, std::uint64_t conn, Learner& l) {
    out.push_back(leader_step::SyncLearner{conn, l.sid, l.peer_zxid});
    // Leader.startForwarding: what is proposed but not committed follows the
    // sync, and from now on every broadcast packet; NEWLEADER after all that.
    l.forwarding = true;
    for (const Proposal& pr : m_outstanding) {
        out.push_back(leader_step::Send{conn, packet(kProposal, pr.txn.header.zxid, zab::encode_txn(pr.txn))});
    }
    out.push_back(leader_step::Send{conn, packet(kNewLeader, m_epoch << 32, m_s.members)});
    l.state = Learner::State::kAwaitNewLeaderAck;
}

void LeaderQuorum::on_new_leader_ack(std::vector<LeaderStep>& out, std::uint64_t conn, Learner& l,
                                     const QuorumPacket& p) {
    if (p.type != kAck) {
        out.push_back(leader_step::DropLearner{
            conn, fmt::format("Next packet was supposed to be an ACK, but received packet: {}", packet_type_name(p.type))});
        m_learners.erase(conn);
        return;
    }
    // An ACK from another epoch is not counted (Leader.waitForNewLeaderAck), but the learner goes on.
    if (p.zxid == m_epoch << 32 && voter(l.sid)) m_newleader_acks.insert(l.sid);
    if (m_phase == Phase::kBroadcast) {
        out.push_back(leader_step::Send{conn, packet(kUpToDate, -1)});
        l.state = Learner::State::kSynced;
        return;
    }
    l.state = Learner::State::kAwaitServing;
    m_awaiting_uptodate.push_back(conn);
    if (is_quorum(m_newleader_acks)) start_serving(out);
}

void LeaderQuorum::start_serving(std::vector<LeaderStep>& out) {
    m_phase = Phase::kBroadcast;
    m_last_proposed = m_last_committed = m_durable = m_epoch << 32;
    out.push_back(leader_step::Serve{m_epoch});
    for (const std::uint64_t conn : m_awaiting_uptodate) {
        auto it = m_learners.find(conn);
        if (it == m_learners.end()) continue;
        out.push_back(leader_step::Send{conn, packet(kUpToDate, -1)});
        it->second.state = Learner::State::kSynced;
    }
    m_awaiting_uptodate.clear();
}

std::vector<LeaderStep> LeaderQuorum::propose(zab::Txn txn) {
    if (m_phase != Phase::kBroadcast) throw std::logic_error("propose before the leader serves");
    if (txn.header.zxid != m_last_proposed + 1) {
        throw std::logic_error(fmt::format("proposal 0x{:x} does not follow 0x{:x}", txn.header.zxid, m_last_proposed));
    }
    std::vector<LeaderStep> out;
    // Leader.propose: to the learners first, then the leader's own log.
    send_to_forwarding(out, packet(kProposal, txn.header.zxid, zab::encode_txn(txn)));
    m_last_proposed = txn.header.zxid;
    m_outstanding.push_back(Proposal{txn, {}});
    out.push_back(leader_step::Log{std::move(txn)});
    return out;
}

std::vector<LeaderStep> LeaderQuorum::durable(std::int64_t zxid) {
    std::vector<LeaderStep> out;
    if (m_phase != Phase::kBroadcast || zxid <= m_durable) return out;
    m_durable = zxid;
    for (Proposal& pr : m_outstanding) {
        if (pr.txn.header.zxid <= zxid) pr.acks.insert(m_s.sid);  // the leader's ACK, after its own fsync
    }
    try_commit(out);
    return out;
}

void LeaderQuorum::on_ack(std::int64_t sid, std::int64_t zxid) {
    // Leader.processAck: counter-0 ACKs (NEWLEADER, UPTODATE), committed and unknown zxids are ignored.
    if ((zxid & 0xffffffffLL) == 0 || zxid <= m_last_committed || !voter(sid)) return;
    for (Proposal& pr : m_outstanding) {
        if (pr.txn.header.zxid == zxid) {
            pr.acks.insert(sid);
            return;
        }
    }
}

void LeaderQuorum::try_commit(std::vector<LeaderStep>& out) {
    // In zxid order only: a quorum for z waits while z-1 has none.
    while (!m_outstanding.empty() && is_quorum(m_outstanding.front().acks)) {
        const std::int64_t z = m_outstanding.front().txn.header.zxid;
        m_outstanding.pop_front();
        m_last_committed = z;
        send_to_forwarding(out, packet(kCommit, z));
        out.push_back(leader_step::Commit{z});
    }
}

std::vector<LeaderStep> LeaderQuorum::half_tick() {
    std::vector<LeaderStep> out;
    if (m_phase == Phase::kStepped) return out;
    const bool whole_tick = (++m_half_ticks % 2) == 0;
    if (m_phase != Phase::kBroadcast) {
        if (whole_tick && ++m_ticks_establishing > m_s.init_limit_ticks) {
            switch (m_phase) {
            case Phase::kEpoch: step_down(out, "Timeout while waiting for epoch from quorum"); break;
            case Phase::kEpochAck: step_down(out, "Timeout while waiting for epoch to be acked by quorum"); break;
            default:
                step_down(out, fmt::format("Waiting for a quorum of followers, only synced with sids: {}",
                                           sid_list(m_newleader_acks)));
            }
        }
        return out;
    }
    for (auto& [conn, l] : m_learners) {
        if (l.forwarding) out.push_back(leader_step::Send{conn, packet(kPing, m_last_proposed)});
    }
    if (!whole_tick) return out;
    std::set<std::int64_t> synced{m_s.sid};
    for (auto& [conn, l] : m_learners) {
        if (++l.ticks_silent <= m_s.sync_limit_ticks && l.state == Learner::State::kSynced) synced.insert(l.sid);
    }
    if (!is_quorum(synced)) {
        step_down(out, fmt::format("Not sufficient followers synced, only synced with sids: {}", sid_list(synced)));
    }
    return out;
}

void LeaderQuorum::step_down(std::vector<LeaderStep>& out, std::string reason) {
    m_phase = Phase::kStepped;
    m_outstanding.clear();
    out.push_back(leader_step::StepDown{std::move(reason)});
}

void LeaderQuorum::disconnected(std::uint64_t conn) { m_learners.erase(conn); }

std::vector<std::int64_t> LeaderQuorum::learners() const {
    std::vector<std::int64_t> out;
    for (const auto& [conn, l] : m_learners) {
        if (l.sid >= 0) out.push_back(l.sid);
    }
    return out;
}

std::vector<std::int64_t> LeaderQuorum::synced_learners() const {
    std::vector<std::int64_t> out;
    for (const auto& [conn, l] : m_learners) {
        if (l.state == Learner::State::kSynced && voter(l.sid)) out.push_back(l.sid);
    }
    return out;
}

}  // namespace zabra::node::quorum
