// Server in an ensemble: the election on the election port, and what a
// decision leads to (server_core.h). The follower's part is in
// follower_role.cpp, the leader's in leader_role.cpp.
#include "node/clock.h"
#include "node/quorum/election_wire.h"
#include "node/server_core.h"

#include <fmt/format.h>

#include <unistd.h>

namespace zabra::node {

quorum::ElectionSetup Server::election_setup() const {
    quorum::ElectionSetup setup;
    setup.my_id = *m_c.my_id;
    for (const auto& [sid, s] : m_c.servers) {
        if (!s.observer) setup.voters.insert(sid);
    }
    // The vote's zxid is everything logged, committed or not (ZOOKEEPER-2845):
    // the tree was rebuilt from disk before each election.
    setup.last_logged_zxid = m_proc->last_zxid();
    setup.current_epoch = m_epochs.current;
    setup.config = quorum::config_text(m_c.servers);
    return setup;
}

void Server::start_ensemble() {
    m_epochs = quorum::load_epochs(m_snap_dir, m_proc->last_zxid(), m_o.log);
    std::map<std::int64_t, quorum::ElectionMember> members;
    for (const auto& [sid, s] : m_c.servers) {
        if (!s.observer) members[sid] = quorum::ElectionMember{sid, s.host, s.election_port};
    }
    m_election_net = std::make_unique<quorum::ElectionNet>(*m_c.my_id, members, m_o.log);
    m_election_net->listen();
    m_election = std::make_unique<quorum::ElectionRunner>(election_setup(), *m_election_net, m_o.log);
    start_looking();
}

void Server::write_epoch(const char* file, std::int64_t epoch) {
    quorum::write_epoch_file(m_snap_dir, file, epoch);  // durable before the step after it
    (std::string_view(file) == quorum::kAcceptedEpochFile ? m_epochs.accepted : m_epochs.current) = epoch;
}

void Server::start_looking() {
    m_role = PeerRole::Looking;
    m_serving = false;
    m_election->reset(election_setup());
    log(fmt::format("LOOKING: myid {}, last logged zxid 0x{:x}, currentEpoch {}, acceptedEpoch {}", *m_c.my_id,
                    m_proc->last_zxid(), m_epochs.current, m_epochs.accepted));
    m_election->begin(mono_ms());
}

void Server::on_decided(const quorum::ElectionDecision& d) {
    m_vote = d.vote;
    if (d.state == quorum::PeerState::Following) {
        start_following(d);
        return;
    }
    start_leading(d);
}

void Server::leave_role(const std::string& why) {
    log(fmt::format("leaving {}: {}", m_role == PeerRole::Following ? "FOLLOWING" : "LEADING", why));
    stop_leading();
    if (m_link.fd >= 0) ::close(m_link.fd);
    m_link = LeaderLink{};
    m_follower.reset();
    m_serving = false;
    // As ZooKeeper's shutdown of a role: every client is disconnected, and
    // what they waited for is not answered.
    std::vector<std::uint64_t> ids;
    for (const auto& [id, c] : m_conns.all()) ids.push_back(id);
    for (const std::uint64_t id : ids) close_conn(id, "");
    m_forwarded.clear();
    m_backlog.clear();
    m_touched.clear();
    reload_database();
    m_epochs = quorum::load_epochs(m_snap_dir, m_proc->last_zxid(), m_o.log);
    start_looking();
}

}  // namespace zabra::node
