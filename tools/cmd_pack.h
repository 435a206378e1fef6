// zabra pack: a consistent, compact copy of a (possibly live) data dir.
#pragma once

#include "tools/outcome.h"

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace zabra::tools {

struct PackCliOptions {
    std::vector<std::string> dirs;
    std::string output;
    int level = 3;
    bool force = false;
};

void setup_pack(CLI::App& app, PackCliOptions& options);
Outcome run_pack(const PackCliOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
