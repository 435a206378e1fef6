// zabra rollback: cut a stopped server's data dir back to a zxid, safely;
// and --undo.
#pragma once

#include "tools/outcome.h"

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

namespace zabra::tools {

struct RollbackOptions {
    std::string dir;
    std::string log_dir;  // ZooKeeper's dataLogDir, when not the data dir
    std::string config;   // a zoo.cfg naming dataDir and dataLogDir
    std::string to;    // the zxid
    std::string undo;  // a backup dir
    bool yes = false;
    bool force = false;  // even if a server seems to use the dir
    bool json = false;
    bool below_commit = false;  // etcd: allow cutting committed entries
};

void setup_rollback(CLI::App& app, RollbackOptions& options);
MutateOutcome run_rollback(const RollbackOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
