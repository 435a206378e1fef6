// zabra verify: check ZooKeeper data for everything ZooKeeper silently gets
// wrong or refuses to start on.
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace zabra::tools {

struct VerifyCliOptions {
    std::vector<std::string> paths;
    bool json = false;
    bool replay = true;
    bool quiet = false;  // leave out info findings
    std::uint32_t max_record = 0;
};

// What verify found, for tools/main.cpp to turn into exit bits.
struct [[nodiscard]] VerifyOutcome {
    bool warnings = false;
    bool errors = false;
    bool unreadable = false;
    bool usage = false;  // a path holds neither ZooKeeper nor etcd data: nothing was checked
};

void setup_verify(CLI::App& app, VerifyCliOptions& options);
VerifyOutcome run_verify(const VerifyCliOptions& options, std::ostream& out, std::ostream& err);

}  // namespace zabra::tools
