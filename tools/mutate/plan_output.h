// How rollback and repair show a plan of file changes: text for people,
// one JSON object for scripts.
#pragma once

#include "libformat/common/file_plan.h"

#include <ostream>
#include <string>
#include <vector>

namespace zabra::tools {

struct PlanReport {
    const FilePlan* plan = nullptr;
    std::vector<std::uint64_t> sizes;     // each step's file size before the plan (fill_sizes)
    bool applied = false;
    std::string backup_dir;               // when applied
    std::vector<std::string> notes;       // extra lines (zxid ranges removed, epoch notes)
    std::vector<std::string> unrepairable;
    std::vector<std::string> live;        // signs of a live server
    std::string refused;                  // why nothing can be done
};

// Records the files' sizes before anything changes them.
void fill_sizes(PlanReport& r);
void print_plan_text(std::ostream& out, const PlanReport& r);
void print_plan_json(std::ostream& out, const PlanReport& r);

}  // namespace zabra::tools
