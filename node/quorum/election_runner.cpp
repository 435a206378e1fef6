#include "node/quorum/election_runner.h"

#include "libformat/common/error.h"
#include "node/clock.h"

#include <fmt/format.h>

#include <algorithm>
#include <poll.h>

namespace zabra::node::quorum {

void ElectionRunner::send(const std::vector<Outgoing>& out) {
    for (const Outgoing& o : out) m_net.send(o.to, encode_notification(o.n));
}

void ElectionRunner::poll_once(std::int64_t timeout_ms) {
    std::vector<pollfd> fds;
    m_net.add_pollfds(fds);
    ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<std::int64_t>(timeout_ms, 0, 1000)));
    m_net.on_poll(fds, mono_ms());
}

void ElectionRunner::begin(std::int64_t now_ms) {
    m_started_ms = now_ms;
    send(m_fle.start(now_ms));
}

void ElectionRunner::reset(ElectionSetup setup) {
    m_setup = setup;
    const std::int64_t clock = m_fle.logical_clock();
    m_fle = FastLeaderElection(std::move(setup));
    m_fle.set_logical_clock(clock);  // the round carries over within one process
}

void ElectionRunner::pump(std::int64_t now_ms) {
    if (m_fle.decision()) return;
    for (auto& [from, payload] : m_net.take_received()) {
        Notification n;
        try {
            n = decode_notification(as_bytes(payload));
        } catch (const FormatError& e) {
            m_log(fmt::format("election: a notification from server {} does not decode: {}", from, e.what()));
            continue;
        }
        send(m_fle.receive(from, n, now_ms));
        if (m_fle.decision()) break;
    }
    if (!m_fle.decision() && m_fle.deadline() && now_ms >= *m_fle.deadline()) send(m_fle.on_timeout(now_ms));
    if (const auto& d = m_fle.decision()) {
        m_log(fmt::format("election: {} leader {}, zxid 0x{:x}, round {}, peer epoch {}, took {} ms",
                          peer_state_name(d->state), d->vote.leader, d->vote.zxid, d->vote.election_epoch,
                          d->vote.peer_epoch, now_ms - m_started_ms));
    }
}

std::optional<ElectionDecision> ElectionRunner::look(std::int64_t deadline_ms) {
    begin(mono_ms());
    while (!m_fle.decision()) {
        const std::int64_t now = mono_ms();
        if (now >= deadline_ms) return std::nullopt;
        poll_once(std::min(deadline_ms, m_fle.deadline().value_or(deadline_ms)) - now);
        pump(mono_ms());
    }
    return *m_fle.decision();
}

void ElectionRunner::answer(PeerState state, const Vote& vote) {
    for (auto& [from, payload] : m_net.take_received()) {
        try {
            const Notification n = decode_notification(as_bytes(payload));
            if (auto reply = FastLeaderElection::answer_when_settled(m_setup, state, vote, from, n)) send({*reply});
        } catch (const FormatError&) {
        }
    }
}

void ElectionRunner::answer_settled(PeerState state, const Vote& vote, std::int64_t deadline_ms) {
    for (std::int64_t now = mono_ms(); now < deadline_ms; now = mono_ms()) {
        poll_once(deadline_ms - now);
        answer(state, vote);
    }
}

}  // namespace zabra::node::quorum
