#include "node/quorum/fast_leader_election.h"

#include <algorithm>

namespace zabra::node::quorum {

namespace {

// Vote.equals: all four fields while either side is LOOKING; else the
// leader, and the peer epoch unless exactly one side is a version-0 vote.
bool same_vote(const Vote& a, const Vote& b) {
    if (a.state == PeerState::Looking || b.state == PeerState::Looking) {
        return a.leader == b.leader && a.zxid == b.zxid && a.election_epoch == b.election_epoch &&
               a.peer_epoch == b.peer_epoch;
    }
    if ((a.version > 0) != (b.version > 0)) return a.leader == b.leader;
    return a.leader == b.leader && a.peer_epoch == b.peer_epoch;
}

Vote vote_of(const Notification& n, std::int32_t version, PeerState state) {
    Vote v;
    v.leader = n.leader;
    v.zxid = n.zxid;
    v.election_epoch = n.election_epoch;
    v.peer_epoch = n.peer_epoch;
    v.state = state;
    v.version = version;
    return v;
}

}  // namespace

bool vote_beats(std::int64_t new_id, std::int64_t new_zxid, std::int64_t new_epoch, std::int64_t cur_id,
                std::int64_t cur_zxid, std::int64_t cur_epoch) {
    return new_epoch > cur_epoch || (new_epoch == cur_epoch && (new_zxid > cur_zxid ||
                                                                (new_zxid == cur_zxid && new_id > cur_id)));
}

Notification FastLeaderElection::notification(const Vote& v, PeerState state) const {
    Notification n;
    n.state = state;
    n.leader = v.leader;
    n.zxid = v.zxid;
    n.election_epoch = m_logical_clock;
    n.peer_epoch = v.peer_epoch;
    n.config = m_s.config;
    return n;
}

std::vector<Outgoing> FastLeaderElection::notify_all() const {
    std::vector<Outgoing> out;
    for (const std::int64_t sid : m_s.voters) out.push_back({sid, notification(m_proposal, PeerState::Looking)});
    return out;
}

void FastLeaderElection::update_proposal(std::int64_t leader, std::int64_t zxid, std::int64_t epoch) {
    m_proposal.leader = leader;
    m_proposal.zxid = zxid;
    m_proposal.peer_epoch = epoch;
}

std::vector<Outgoing> FastLeaderElection::start(std::int64_t now_ms) {
    ++m_logical_clock;
    m_recvset.clear();
    m_outofelection.clear();
    m_decision.reset();
    m_finalize_until.reset();
    m_proposal = Vote{};
    update_proposal(m_s.my_id, m_s.last_logged_zxid, m_s.current_epoch);
    m_not_timeout = kMinNotificationIntervalMs;
    m_next_resend = now_ms + m_not_timeout;
    return notify_all();
}

bool FastLeaderElection::has_quorum(const std::map<std::int64_t, Vote>& votes, const Vote& target) const {
    std::size_t agree = 0;
    for (const auto& [sid, v] : votes) agree += m_s.voters.count(sid) && same_vote(v, target) ? 1 : 0;
    return agree > m_s.voters.size() / 2;  // QuorumMaj
}

bool FastLeaderElection::check_leader(const std::map<std::int64_t, Vote>& votes, std::int64_t leader,
                                      std::int64_t election_epoch) const {
    if (leader != m_s.my_id) {
        const auto it = votes.find(leader);
        return it != votes.end() && it->second.state == PeerState::Leading;
    }
    return m_logical_clock == election_epoch;
}

void FastLeaderElection::decide(PeerState state, const Vote& v) {
    ElectionDecision d;
    d.state = state;
    d.vote = v;
    d.vote.state = state;
    m_decision = d;
    m_finalize_until.reset();
}

std::vector<Outgoing> FastLeaderElection::receive(std::int64_t from, const Notification& n, std::int64_t now_ms) {
    std::vector<Outgoing> out;
    if (m_decision) return out;
    if (!m_s.voters.count(from)) {
        // WorkerReceiver: a sender that is not a voter gets my vote at once.
        Vote initial;
        initial.leader = m_s.my_id;
        initial.zxid = m_s.last_logged_zxid;
        initial.peer_epoch = m_s.current_epoch;
        out.push_back({from, notification(initial, PeerState::Looking)});
        return out;
    }
    if (n.state == PeerState::Looking && n.election_epoch < m_logical_clock) {
        out.push_back({from, notification(m_proposal, PeerState::Looking)});  // catch the sender up
    }
    if (m_finalize_until) {
        // finalizeWait: only a better vote reopens the round.
        if (!vote_beats(n.leader, n.zxid, n.peer_epoch, m_proposal.leader, m_proposal.zxid, m_proposal.peer_epoch)) {
            m_finalize_until = now_ms + kFinalizeWaitMs;
            return out;
        }
        m_finalize_until.reset();
    }
    for (auto& o : handle(from, n, now_ms)) out.push_back(std::move(o));
    m_next_resend = now_ms + m_not_timeout;
    return out;
}

std::vector<Outgoing> FastLeaderElection::handle(std::int64_t from, const Notification& n, std::int64_t now_ms) {
    std::vector<Outgoing> out;
    if (!m_s.voters.count(n.leader)) return out;
    switch (n.state) {
    case PeerState::Looking: {
        if (m_s.last_logged_zxid == -1 || n.zxid == -1) return out;
        if (n.election_epoch > m_logical_clock) {
            m_logical_clock = n.election_epoch;
            m_recvset.clear();
            if (vote_beats(n.leader, n.zxid, n.peer_epoch, m_s.my_id, m_s.last_logged_zxid, m_s.current_epoch)) {
                update_proposal(n.leader, n.zxid, n.peer_epoch);
            } else {
                update_proposal(m_s.my_id, m_s.last_logged_zxid, m_s.current_epoch);
            }
            out = notify_all();
        } else if (n.election_epoch < m_logical_clock) {
            return out;
        } else if (vote_beats(n.leader, n.zxid, n.peer_epoch, m_proposal.leader, m_proposal.zxid,
                              m_proposal.peer_epoch)) {
            update_proposal(n.leader, n.zxid, n.peer_epoch);
            out = notify_all();
        }
        m_recvset[from] = vote_of(n, 0, PeerState::Looking);
        Vote mine = m_proposal;
        mine.election_epoch = m_logical_clock;
        mine.state = PeerState::Looking;
        if (has_quorum(m_recvset, mine)) m_finalize_until = now_ms + kFinalizeWaitMs;
        return out;
    }
    case PeerState::Observing: return out;
    case PeerState::Following:
    case PeerState::Leading: {
        const Vote theirs = vote_of(n, n.version, n.state);
        const PeerState mine = n.leader == m_s.my_id ? PeerState::Leading : PeerState::Following;
        Vote end = vote_of(n, 0, PeerState::Looking);
        if (n.election_epoch == m_logical_clock) {
            m_recvset[from] = vote_of(n, 0, n.state);
            if (has_quorum(m_recvset, theirs) && check_leader(m_recvset, n.leader, n.election_epoch)) {
                decide(mine, end);
                return out;
            }
        }
        // Joining an established ensemble: a quorum follows the same leader,
        // and the leader says it leads.
        m_outofelection[from] = theirs;
        if (has_quorum(m_outofelection, theirs) && check_leader(m_outofelection, n.leader, n.election_epoch)) {
            m_logical_clock = n.election_epoch;
            decide(mine, end);
        }
        return out;
    }
    }
    return out;
}

std::optional<std::int64_t> FastLeaderElection::deadline() const {
    if (m_decision) return std::nullopt;
    if (m_finalize_until) return m_finalize_until;
    return m_next_resend;
}

std::vector<Outgoing> FastLeaderElection::on_timeout(std::int64_t now_ms) {
    if (m_decision) return {};
    if (m_finalize_until) {
        if (now_ms < *m_finalize_until) return {};
        Vote v = m_proposal;
        v.election_epoch = m_logical_clock;
        decide(m_proposal.leader == m_s.my_id ? PeerState::Leading : PeerState::Following, v);
        return {};
    }
    if (now_ms < m_next_resend) return {};
    m_not_timeout = std::min(m_not_timeout * 2, kMaxNotificationIntervalMs);
    m_next_resend = now_ms + m_not_timeout;
    return notify_all();
}

std::optional<Outgoing> FastLeaderElection::answer_when_settled(const ElectionSetup& setup, PeerState my_state,
                                                                const Vote& current, std::int64_t from,
                                                                const Notification& n) {
    if (setup.voters.count(from) && n.state != PeerState::Looking) return std::nullopt;
    Notification reply;
    reply.state = my_state;
    reply.leader = current.leader;
    reply.zxid = current.zxid;
    reply.election_epoch = current.election_epoch;
    reply.peer_epoch = current.peer_epoch;
    reply.config = setup.config;
    return Outgoing{from, reply};
}

}  // namespace zabra::node::quorum
