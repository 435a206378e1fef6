// What rollback and repair check before touching a data dir: a live server,
// and an earlier run that a crash interrupted.
#pragma once

#include "libformat/common/file_plan.h"
#include "tools/mutate/plan_output.h"
#include "tools/outcome.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace zabra::tools {

// The dir backups go to: dataDir (version-2's parent), outside version-2.
std::filesystem::path backup_root(const std::filesystem::path& version2);

// Signs that a server is using the data dir (`dir` and its version-2).
std::vector<std::string> live_signs(const std::filesystem::path& data_dir);

struct MutateSwitches {
    bool yes = false;
    bool force = false;
    bool json = false;
};

// Before planning: refuses a dir a server is using (unless --force), and
// finishes a run a crash interrupted (with --yes; otherwise says so). An
// outcome means stop there.
std::optional<MutateOutcome> preflight(const std::filesystem::path& data_dir, const std::filesystem::path& root,
                                       const MutateSwitches& s, PlanReport& report, std::ostream& out);

// Prints the plan, applies it with --yes, and says what happened.
MutateOutcome carry_out(const FilePlan& plan, const std::filesystem::path& root, const MutateSwitches& s,
                        PlanReport& report, std::ostream& out);

void print_report(const PlanReport& report, bool json, std::ostream& out);

}  // namespace zabra::tools
