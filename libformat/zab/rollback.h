// Plans for changing a stopped ZooKeeper server's data (executed by
// common/file_plan): rolling back to a zxid as ZooKeeper's TRUNC does, but
// also moving newer snapshots aside (ZOOKEEPER-4837), and repairing what is
// safe to repair (a torn tail; an empty, header-only or all-zero newest log).
#pragma once

#include "libformat/common/file_plan.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zabra::zab {

class RollbackRefused : public std::runtime_error {
public:
    RollbackRefused(std::string what, std::optional<std::int64_t> lower)
        : std::runtime_error(std::move(what)), nearest_lower(lower) {}
    std::optional<std::int64_t> nearest_lower;  // the closest zxid below the target that is in the logs
};

struct RollbackPlan {
    FilePlan plan;  // empty steps: the dir already ends at the target
    std::int64_t target = 0;
    std::uint64_t txns_removed = 0;
    std::optional<std::int64_t> first_removed, last_removed;
    std::vector<std::string> notes;  // e.g. epoch files left as they are
};

// The data dir ends exactly at `target` afterwards: the log holding it is cut
// right after that record (as ZooKeeper's FileTxnLog.truncate, padding and
// all), later logs and snapshots named after a later zxid are moved aside.
// Throws RollbackRefused when `target` is in no log, or damage lies before it.
RollbackPlan plan_rollback(const std::filesystem::path& dir, std::int64_t target);

struct RepairPlan {
    FilePlan plan;
    // Damage that is not repaired: what it is and what would be lost.
    std::vector<std::string> unrepairable;
};

RepairPlan plan_repair(const std::filesystem::path& dir);

}  // namespace zabra::zab
