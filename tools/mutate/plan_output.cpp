#include "tools/mutate/plan_output.h"

#include "tools/common/format_util.h"

#include <fmt/format.h>

#include <filesystem>

namespace zabra::tools {

namespace {

std::string step_text(const FileStep& s, std::uint64_t size) {
    if (s.kind == FileStep::Kind::Cut) {
        return fmt::format("cut   {} at offset {} ({} bytes removed: {})", escape_text(s.file.string()), s.new_size,
                           size - std::min<std::uint64_t>(size, s.new_size), s.detail);
    }
    return fmt::format("move  {} aside ({} bytes, {})", escape_text(s.file.string()), size, s.detail);
}

std::string json_list(const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + json_string(v[i]);
    return out + "]";
}

}  // namespace

void fill_sizes(PlanReport& r) {
    r.sizes.clear();
    for (std::size_t i = 0; r.plan && i < r.plan->steps.size(); ++i) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(r.plan->steps[i].file, ec);
        r.sizes.push_back(ec ? 0 : size);
    }
}

void print_plan_text(std::ostream& out, const PlanReport& r) {
    for (const auto& l : r.live) out << "live: " << l << '\n';
    if (!r.refused.empty()) out << "refused: " << r.refused << '\n';
    if (r.plan && !r.plan->steps.empty()) {
        out << (r.applied ? "done:\n" : "plan (dry run; --yes applies it):\n");
        for (std::size_t i = 0; i < r.plan->steps.size(); ++i) {
            out << "  " << step_text(r.plan->steps[i], i < r.sizes.size() ? r.sizes[i] : 0) << '\n';
        }
    } else if (r.plan && r.refused.empty() && r.unrepairable.empty()) {
        out << "nothing to do\n";
    }
    for (const auto& n : r.notes) out << "note: " << n << '\n';
    for (const auto& u : r.unrepairable) out << "not repaired: " << u << '\n';
    if (r.applied) {
        out << fmt::format("backup and journal: {}\nundo with: zabra rollback --undo {}\n", escape_text(r.backup_dir),
                           escape_text(r.backup_dir));
    } else if (r.plan && !r.plan->steps.empty() && r.refused.empty()) {
        out << "everything removed will first be copied to a zabra-backup-* dir in the data dir, outside version-2 and member/\n";
    }
}

void print_plan_json(std::ostream& out, const PlanReport& r) {
    std::string steps = "[";
    for (std::size_t i = 0; r.plan && i < r.plan->steps.size(); ++i) {
        const FileStep& s = r.plan->steps[i];
        const std::uint64_t size = i < r.sizes.size() ? r.sizes[i] : 0;
        steps += fmt::format("{}{{\"action\":\"{}\",\"file\":{},\"size\":{},\"new_size\":{},\"detail\":{}}}", i ? "," : "",
                             s.kind == FileStep::Kind::Cut ? "cut" : "move-aside", json_string(s.file.string()),
                             size,
                             s.kind == FileStep::Kind::Cut ? std::to_string(s.new_size) : "null", json_string(s.detail));
    }
    steps += "]";
    out << fmt::format("{{\"command\":{},\"target\":{},\"applied\":{},\"backup_dir\":{},\"steps\":{},\"notes\":{},"
                       "\"unrepairable\":{},\"live\":{},\"refused\":{}}}\n",
                       json_string(r.plan ? r.plan->command : ""), json_string(r.plan ? r.plan->target : ""),
                       r.applied ? "true" : "false", r.backup_dir.empty() ? "null" : json_string(r.backup_dir), steps,
                       json_list(r.notes), json_list(r.unrepairable), json_list(r.live),
                       r.refused.empty() ? "null" : json_string(r.refused));
}

}  // namespace zabra::tools
