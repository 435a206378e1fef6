// A test tool, not a server: runs zabra-node's election (election_runner:
// FastLeaderElection over QuorumCnxManager's connections) as the server a
// zoo.cfg names, among real ZooKeeper servers, and prints what it decided as
// one JSON line. tests/peers/checks/election_vs_zk.py runs it.
//
//   zabra_election_probe CONFIG [ZXID [EPOCH [TIMEOUT_S [LINGER_S]]]]
//
// Exit 0: decided; 1: no decision before the timeout; 2: bad arguments or config.
#include "node/clock.h"
#include "node/config.h"
#include "node/quorum/election_runner.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>

using namespace zabra::node;
using namespace zabra::node::quorum;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: zabra_election_probe CONFIG [ZXID [EPOCH [TIMEOUT_S [LINGER_S]]]]\n";
        return 2;
    }
    try {
        NodeConfig c = read_config(argv[1]);
        finish_config(c, [](const std::string& s) { std::cerr << s << "\n"; });
        const std::int64_t zxid = argc > 2 ? std::stoll(argv[2], nullptr, 0) : 0;
        const std::int64_t epoch = argc > 3 ? std::stoll(argv[3]) : 0;
        const std::int64_t timeout_ms = (argc > 4 ? std::stoll(argv[4]) : 30) * 1000;
        const std::int64_t linger_ms = (argc > 5 ? std::stoll(argv[5]) : 0) * 1000;
        ElectionSetup setup;
        setup.my_id = *c.my_id;
        setup.last_logged_zxid = zxid;
        setup.current_epoch = epoch;
        setup.config = config_text(c.servers);
        std::map<std::int64_t, ElectionMember> members;
        for (const auto& [sid, s] : c.servers) {
            if (s.observer) continue;
            setup.voters.insert(sid);
            members[sid] = ElectionMember{sid, s.host, s.election_port};
        }
        auto log = [](const std::string& s) { std::cerr << s << std::endl; };
        ElectionNet net(setup.my_id, members, log);
        net.listen();
        ElectionRunner runner(setup, net, log);
        const std::int64_t started = mono_ms();
        const auto d = runner.look(started + timeout_ms);
        if (!d) {
            std::cout << "{\"decided\": false}" << std::endl;
            return 1;
        }
        std::cout << fmt::format("{{\"decided\": true, \"state\": \"{}\", \"leader\": {}, \"zxid\": \"0x{:x}\", "
                                 "\"round\": {}, \"peer_epoch\": {}, \"ms\": {}}}",
                                 peer_state_name(d->state), d->vote.leader, d->vote.zxid, d->vote.election_epoch,
                                 d->vote.peer_epoch, mono_ms() - started)
                  << std::endl;
        runner.answer_settled(d->state, d->vote, mono_ms() + linger_ms);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "zabra_election_probe: " << e.what() << "\n";
        return 2;
    }
}
