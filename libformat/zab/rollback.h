// Plans for changing a stopped ZooKeeper server's data (executed by
// common/file_plan): rolling back to a zxid as ZooKeeper's TRUNC does, but
// also moving newer snapshots aside (ZOOKEEPER-4837), and repairing what is
// safe to repair (a torn tail; an empty, header-only or all-zero newest log).
#pragma once

#include "libformat/common/file_plan.h"
#include "libformat/zab/data_dir.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zabra::zab {

// A server's dirs: dataDir (snapshots, currentEpoch, acceptedEpoch) and
// dataLogDir (txn logs). Either may be given as the dir or its version-2.
struct ServerDirs {
    std::filesystem::path data;
    std::filesystem::path log;  // empty: dataDir holds the logs too
};

// True when dataLogDir is another dir than dataDir (compared canonically).
bool separate_log_dir(const ServerDirs& dirs);

// With separate dirs, ZooKeeper (FileTxnSnapLog, 3.5+, ZOOKEEPER-2967)
// refuses to start when the log dir holds snapshot files or the data dir
// log files; the text says which files, or nullopt when there are none.
std::optional<std::string> misplaced_files(const ServerDirs& dirs);

// The files as ZooKeeper reads them: logs from the log dir's version-2 only,
// snapshots and epoch files from the data dir's version-2 only (anything else
// in either is in `other`). `version2` is the log dir's.
DataDir list_server_dirs(const ServerDirs& dirs);

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
RollbackPlan plan_rollback(const ServerDirs& dirs, std::int64_t target);
inline RollbackPlan plan_rollback(const std::filesystem::path& dir, std::int64_t target) {
    return plan_rollback(ServerDirs{dir, {}}, target);
}

struct RepairPlan {
    FilePlan plan;
    // Damage that is not repaired: what it is and what would be lost.
    std::vector<std::string> unrepairable;
};

// Logs only: repair never touches snapshots or epoch files.
RepairPlan plan_repair(const ServerDirs& dirs);
inline RepairPlan plan_repair(const std::filesystem::path& dir) { return plan_repair(ServerDirs{dir, {}}); }

}  // namespace zabra::zab
