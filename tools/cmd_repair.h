// zabra repair: cut a torn tail, move an empty or header-only newest log
// aside; report (never "fix") anything else.
#pragma once

#include "tools/outcome.h"

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

namespace zabra::tools {

struct RepairOptions {
    std::string dir;
    std::string log_dir;  // ZooKeeper's dataLogDir, when not the data dir
    std::string config;   // a zoo.cfg naming dataDir and dataLogDir
    bool yes = false;
    bool force = false;
    bool json = false;
};

void setup_repair(CLI::App& app, RepairOptions& options);
MutateOutcome run_repair(const RepairOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
