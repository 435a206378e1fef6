#include "tools/mutate/guard.h"

#include "libformat/common/live_use.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace fs = std::filesystem;

fs::path backup_root(const fs::path& version2) {
    std::error_code ec;
    return fs::weakly_canonical(version2, ec).parent_path();
}

std::vector<std::string> live_signs(const fs::path& data_dir) {
    std::error_code ec;
    const fs::path dir = fs::weakly_canonical(data_dir, ec);
    return live_users(dir.filename() == "version-2" ? dir.parent_path() : dir);
}

void print_report(const PlanReport& report, bool json, std::ostream& out) {
    json ? print_plan_json(out, report) : print_plan_text(out, report);
}

std::optional<MutateOutcome> preflight(const fs::path& data_dir, const fs::path& root, const MutateSwitches& s,
                                       PlanReport& report, std::ostream& out) {
    report.live = live_signs(data_dir);
    if (!report.live.empty() && !s.force) {
        report.refused = "a server is using this data dir: stop it first (--force overrides)";
        print_report(report, s.json, out);
        return MutateOutcome::Refused;
    }
    if (const auto unfinished = unfinished_journal(root)) {
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
