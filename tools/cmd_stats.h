// zabra stats: what a ZooKeeper data dir holds, summarised.
#pragma once

#include "tools/outcome.h"

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace zabra::tools {

struct StatsOptions {
    std::vector<std::string> paths;
    int depth = 1;
    std::size_t top = 10;
    bool json = false;
    bool logs_only = false;
    bool snapshot_only = false;
};

void setup_stats(CLI::App& app, StatsOptions& options);
Outcome run_stats(const StatsOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
