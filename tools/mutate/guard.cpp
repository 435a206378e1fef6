#include "tools/mutate/guard.h"

#include "libformat/common/live_use.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/zoo_cfg.h"

#include <fmt/format.h>

#include <algorithm>

namespace zabra::tools {

namespace fs = std::filesystem;

namespace {

// Two names of one dir: the same dir, or one is the other's version-2.
bool same_dir(const fs::path& a, const fs::path& b) {
    auto v2 = [](const fs::path& p) {
        std::error_code ec;
        const fs::path resolved = fs::is_directory(p, ec) ? zab::find_version2(p) : p;
        return fs::weakly_canonical(resolved, ec);
    };
    return v2(a) == v2(b);
}

}  // namespace

zab::ServerDirs resolve_server_dirs(const DirArguments& a) {
    if (a.config.empty()) {
        if (a.dir.empty()) throw UsageError("give the data dir (DIR) or --config zoo.cfg");
        return {a.dir, a.log_dir};
    }
    const zab::ZooCfgDirs cfg = zab::zoo_cfg_dirs(a.config);
    if (!a.dir.empty() && !same_dir(a.dir, cfg.data_dir)) {
        throw UsageError(fmt::format("DIR {} is not the dataDir {} that {} names (give one of them)", a.dir,
                                     cfg.data_dir.string(), a.config));
    }
    if (!a.log_dir.empty() && !same_dir(a.log_dir, cfg.data_log_dir)) {
        throw UsageError(fmt::format("--log-dir {} is not the dataLogDir {} that {} names (give one of them)",
                                     a.log_dir, cfg.data_log_dir.string(), a.config));
    }
    return {cfg.data_dir, cfg.data_log_dir};
}

fs::path backup_root(const fs::path& version2) {
    std::error_code ec;
    return fs::weakly_canonical(version2, ec).parent_path();
}

std::vector<std::string> live_signs(const fs::path& data_dir) {
    std::error_code ec;
    const fs::path dir = fs::weakly_canonical(data_dir, ec);
    return live_users(dir.filename() == "version-2" ? dir.parent_path() : dir);
}

MutateScope scope_of(const zab::ServerDirs& d) {
    MutateScope s{{d.data}, {backup_root(zab::find_version2(d.data))}};
    if (zab::separate_log_dir(d)) {
        s.dirs.push_back(d.log);
        const fs::path log_root = backup_root(zab::find_version2(d.log));
        if (log_root != s.roots.front()) s.roots.push_back(log_root);
    }
    return s;
}

std::vector<std::string> live_signs(const std::vector<fs::path>& dirs) {
    std::vector<std::string> out;
    for (const fs::path& d : dirs) {
        for (std::string& l : live_signs(d)) {
            if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(std::move(l));
        }
    }
    return out;
}

void print_report(const PlanReport& report, bool json, std::ostream& out) {
    json ? print_plan_json(out, report) : print_plan_text(out, report);
}

std::optional<MutateOutcome> preflight(const std::vector<fs::path>& dirs, const std::vector<fs::path>& roots,
                                       const MutateSwitches& s, PlanReport& report, std::ostream& out) {
    report.live = live_signs(dirs);
    if (!report.live.empty() && !s.force) {
        report.refused = dirs.size() > 1 ? "a server is using these dirs: stop it first (--force overrides)"
                                         : "a server is using this data dir: stop it first (--force overrides)";
        print_report(report, s.json, out);
        return MutateOutcome::Refused;
    }
    for (const fs::path& r : roots) {
        const auto unfinished = unfinished_journal(r);
        if (!unfinished) continue;
        if (!s.yes) {
            report.refused = fmt::format("an interrupted {} to {} is in {}: --yes finishes it first",
                                         unfinished->command, unfinished->target, unfinished->backup_dir.string());
            print_report(report, s.json, out);
            return MutateOutcome::ChangesNeeded;
        }
        resume_file_plan(unfinished->backup_dir);
        report.notes.push_back(
            fmt::format("finished the interrupted {} in {}", unfinished->command, unfinished->backup_dir.string()));
    }
    return std::nullopt;
}

MutateOutcome carry_out(const FilePlan& plan, const fs::path& root, const MutateSwitches& s, PlanReport& report,
                        std::ostream& out) {
    report.plan = &plan;
    fill_sizes(report);
    if (s.yes && !plan.steps.empty()) {
        report.backup_dir = apply_file_plan(plan, root).string();
        report.applied = true;
    }
    print_report(report, s.json, out);
    if (!report.unrepairable.empty()) return MutateOutcome::ChangesNeeded;
    if (plan.steps.empty()) return MutateOutcome::NothingToDo;
    return s.yes ? MutateOutcome::Applied : MutateOutcome::ChangesNeeded;
}

}  // namespace zabra::tools
