// What rollback and repair check before touching a data dir: a live server,
// and an earlier run that a crash interrupted.
#pragma once

#include "libformat/common/file_plan.h"
#include "libformat/zab/rollback.h"
#include "tools/mutate/plan_output.h"
#include "tools/outcome.h"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zabra::tools {

// Where a ZooKeeper server's dirs were named: DIR, --log-dir, --config.
struct DirArguments {
    std::string dir, log_dir, config;
};

// Arguments that name no dirs, or dirs that disagree (exit 2).
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The dirs the arguments name: --config gives dataDir and dataLogDir (as
// ZooKeeper reads them); DIR or --log-dir given as well must be the same dirs
// (as dirs or their version-2). Throws UsageError, or std::runtime_error for
// an unreadable --config.
zab::ServerDirs resolve_server_dirs(const DirArguments& a);

// The dir backups go to: dataDir (version-2's parent), outside version-2.
std::filesystem::path backup_root(const std::filesystem::path& version2);

// Signs that a server is using the data dir (`dir` and its version-2).
std::vector<std::string> live_signs(const std::filesystem::path& data_dir);

struct MutateSwitches {
    bool yes = false;
    bool force = false;
    bool json = false;
};

// What a run on a ZooKeeper server's dirs watches for a live server (both
// dirs), and where it looks for an interrupted run's journal: roots.front()
// (the dataDir, where its backups go), then the log dir's own root.
struct MutateScope {
    std::vector<std::filesystem::path> dirs, roots;
};
MutateScope scope_of(const zab::ServerDirs& d);

// Signs that a server is using any of `dirs` (a dataDir and its dataLogDir).
std::vector<std::string> live_signs(const std::vector<std::filesystem::path>& dirs);

// Before planning: refuses dirs a server is using (unless --force), and
// finishes a run a crash interrupted (with --yes; otherwise says so), looking
// for its journal under each of `roots` (where this run backs up, and where
// a run on one of the dirs alone would have). An outcome means stop there.
std::optional<MutateOutcome> preflight(const std::vector<std::filesystem::path>& dirs,
                                       const std::vector<std::filesystem::path>& roots,
                                       const MutateSwitches& s, PlanReport& report, std::ostream& out);

// Prints the plan, applies it with --yes, and says what happened.
MutateOutcome carry_out(const FilePlan& plan, const std::filesystem::path& root, const MutateSwitches& s,
                        PlanReport& report, std::ostream& out);

void print_report(const PlanReport& report, bool json, std::ostream& out);

}  // namespace zabra::tools
