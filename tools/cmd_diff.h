// zabra diff: what changed between two snapshots, or in a data dir between two zxids.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace zabra::tools {

struct DiffOptions {
    std::vector<std::string> args;  // SNAP_A SNAP_B, or DIR ZXID_A ZXID_B
    bool json = false;
    bool ignore_ephemerals = false;
};

enum class [[nodiscard]] DiffOutcome { Same, Different, BadInput, Usage };

void setup_diff(CLI::App& app, DiffOptions& options);
DiffOutcome run_diff(const DiffOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
