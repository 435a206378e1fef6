// zabra top: the terminal dashboard for a running ZooKeeper ensemble, and
// its batch mode for scripts.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

namespace zabra::tools {

struct TopOptions {
    std::string servers;  // host:port,...
    std::string config;   // zoo.cfg
    bool once = false;
    bool json = false;
    double interval = 1.0;  // seconds
    int count = 0;          // batch: samples to print (0: until interrupted)
    double timeout = 0;     // per poll; 0: the interval, at most 2 s
    bool no_mntr = false;
    int admin_port = 8080;  // AdminServer fallback when srvr is not whitelisted; 0: none
};

// The ensemble's health, for tools/main.cpp's exit code.
enum class [[nodiscard]] TopHealth { Healthy, Degraded, NoQuorum, Usage };

void setup_top(CLI::App& app, TopOptions& options);
TopHealth run_top(const TopOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
