// zabra-node CONFIG [--set key=value]... [--force-recover]: standalone, or an ensemble member (node/server.h)
#include "node/config.h"
#include "node/server.h"
#include "zabra/version.h"

#include <CLI/CLI.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"zabra-node: a ZooKeeper-compatible server that writes real ZooKeeper data.\n"
                 "Clients (kazoo, zkCli) use it like ZooKeeper 3.8; its dataDir is readable by ZooKeeper and zabra.\n"
                 "With server.N lines it is an ensemble member (with ZooKeeper 3.8 servers or not): it elects,\n"
                 "leads or follows."};
    app.set_version_flag("--version", std::string("zabra-node ") + zabra::kVersion);
    std::string config_file;
    std::vector<std::string> overrides;
    bool force_recover = false;
    app.add_option("CONFIG", config_file, "zoo.cfg-style file (dataDir, clientPort, tickTime, snapCount, ...)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--set", overrides, "Override a config key: --set clientPort=2182 (repeatable)")
        ->type_name("KEY=VALUE");
    app.add_flag("--force-recover", force_recover,
                 "Start even when a txn log is damaged mid-file: cut it at the damage (what follows is moved "
                 "to dataLogDir/zabra-force-recover and not replayed)");
    CLI11_PARSE(app, argc, argv);

    auto log = [](const std::string& line) {
        const auto now = std::chrono::system_clock::now();
        std::fputs(fmt::format("{:%Y-%m-%d %H:%M:%S} zabra-node: {}\n", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), line).c_str(), stderr);
    };
    try {
        zabra::node::NodeConfig c = zabra::node::read_config(config_file);
        for (const auto& kv : overrides) {
            const auto eq = kv.find('=');
            if (eq == std::string::npos) throw std::runtime_error("--set " + kv + ": expected KEY=VALUE");
            zabra::node::apply_setting(c, kv.substr(0, eq), kv.substr(eq + 1));
        }
        c.force_recover = force_recover;
        zabra::node::finish_config(c, [&log](const std::string& s) { log(s); });
        zabra::node::ServerOptions o{c, log, std::string("3.8.0-zabra-") + zabra::kVersion};
        return zabra::node::run_server(o);
    } catch (const std::exception& e) {
        log(std::string("cannot start: ") + e.what());
        return 2;
    }
}
