#include "tools/cmd_top.h"

#include "tools/top/collect.h"
#include "tools/top/draw.h"
#include "tools/top/model.h"

#include <fmt/format.h>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

namespace zabra::tools {

using namespace top;

void setup_top(CLI::App& app, TopOptions& o) {
    auto* cmd = app.add_subcommand("top", "Watch a running ZooKeeper ensemble: roles, zxids, lag, latency, quorum "
                                          "health, leader changes");
    cmd->footer(
        "Each server is polled with the srvr and mntr four-letter words at once, over non-blocking\n"
        "sockets: a hung server shows as timeout and never delays the others. Where srvr is not\n"
        "whitelisted, the AdminServer's HTTP JSON is asked instead (--admin-port). Lag is the leader's zxid\n"
        "counter minus the follower's, in the same epoch only.\n"
        "Keys: q quit, ? help, j/k or arrows select, Enter details, s sort, p pause, r refresh now,\n"
        "+/- interval.\n\n"
        "Exit status: 0 quorum and every server serving, 1 quorum but a server down or not serving,\n"
        "4 no leader or no quorum; 2 usage error.\n\n"
        "Examples:\n"
        "  zabra top 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183\n"
        "  zabra top --config /etc/zookeeper/conf/zoo.cfg\n"
        "  zabra top --once --json zk1:2181,zk2:2181,zk3:2181 | jq -r '.[] | [.server,.state,.lag] | @tsv'\n");
    cmd->add_option("SERVERS", o.servers, "host:port,... (port 2181 when left out)");
    cmd->add_option("--config", o.config, "Take the servers from this zoo.cfg (server.N lines and clientPort)")
        ->option_text("FILE");
    cmd->add_flag("--once", o.once, "Poll once, print, exit (batch mode)");
    cmd->add_flag("--json", o.json, "Batch mode: a JSON array per sample, one per line");
    cmd->add_option("-i,--interval", o.interval, "Seconds between polls (1)")->check(CLI::Range(0.1, 3600.0));
    cmd->add_option("-n,--count", o.count, "Batch mode: stop after this many samples (0: never)")->check(CLI::Range(0, 1 << 30));
    cmd->add_option("--timeout", o.timeout, "Seconds a server may take to answer (the interval, at most 2)")
        ->check(CLI::Range(0.05, 60.0));
    cmd->add_flag("--no-mntr", o.no_mntr, "Only srvr (cheaper; no watches, data size, fsync)");
    cmd->add_option("--admin-port", o.admin_port,
                    "Where srvr is not whitelisted, ask the AdminServer's /commands/server_stats on this port "
                    "instead (8080; 0: never)")
        ->check(CLI::Range(0, 65535));
    cmd->parse_complete_callback([&o] {
        if (o.servers.empty() == o.config.empty()) throw CLI::ValidationError("give SERVERS or --config FILE");
    });
}

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop(int) { g_stop = true; }
extern "C" void on_crash(int sig) {
    Terminal::emergency_restore();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

TopHealth health(const Ensemble& e) {
    if (!e.has_quorum()) return TopHealth::NoQuorum;
    for (const auto& [name, row] : e.rows()) {
        const std::string& s = row.sample.state;
        if (s != "leader" && s != "follower" && s != "observer" && s != "standalone") return TopHealth::Degraded;
    }
    return TopHealth::Healthy;
}

void print_text(const Ensemble& e, std::ostream& out) {
    out << e.health_line() << '\n';
    for (const auto& name : e.servers()) {
        const auto it = e.rows().find(name);
        if (it == e.rows().end()) continue;
        const Row& r = it->second;
        out << fmt::format("{:<24} {:<16} {:<14} {}\n", name, r.sample.state,
                           r.sample.zxid ? fmt::format("{}:{}", *r.sample.zxid >> 32, *r.sample.zxid & 0xffffffffu) : "-",
                           r.lag ? fmt::format("lag {}", *r.lag) : r.epoch_behind ? "epoch behind" : "");
    }
}

}  // namespace

TopHealth run_top(const TopOptions& o, std::ostream& out, std::ostream& err) {
    std::vector<Target> targets;
    try {
        targets = o.config.empty() ? parse_targets(o.servers) : targets_from_config(o.config);
    } catch (const std::exception& e) {
        err << "zabra top: " << e.what() << '\n';
        return TopHealth::Usage;
    }
    std::vector<std::string> names;
    for (const auto& t : targets) names.push_back(t.name);
    Ensemble ensemble(names);
    // A poll never outlasts the interval: a hung server cannot delay the next sample.
    const double timeout = std::min(o.timeout > 0 ? o.timeout : 2.0, o.interval);
    std::signal(SIGINT, on_stop);
    std::signal(SIGTERM, on_stop);

    if (o.once || o.json || o.count > 0 || !::isatty(STDOUT_FILENO)) {
        for (int n = 0; !g_stop && (o.count == 0 ? !o.once || n == 0 : n < o.count); ++n) {
            const double started = now_seconds();
            for (const auto& r : poll_all(targets, timeout, !o.no_mntr, o.admin_port)) ensemble.update(parse_poll(r));
            ensemble.settle(now_seconds());
            if (o.json) {
                out << rows_json(ensemble) << '\n';
            } else {
                print_text(ensemble, out);
            }
            out.flush();
            if (o.once || (o.count > 0 && n + 1 >= o.count)) break;
            while (!g_stop && now_seconds() < started + o.interval) {
                const double left = started + o.interval - now_seconds();
                std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.05)));
            }
        }
        return health(ensemble);
    }

    std::signal(SIGSEGV, on_crash);
    std::signal(SIGABRT, on_crash);
    std::signal(SIGBUS, on_crash);
    Dashboard dash(ensemble, o.interval);
    Collector collector(targets, timeout, !o.no_mntr, o.admin_port);
    {
        Terminal term;
        dash.run(term, collector, g_stop);
    }
    return health(ensemble);
}

}  // namespace zabra::tools
