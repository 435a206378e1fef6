// Rolling an etcd member's WAL back to a raft index (executed by
// common/file_plan): the segment holding the entry is cut right after its
// frame, later segments and .snap files of later indexes are moved aside.
// Going below the commit index is refused unless explicitly allowed: the
// leader knows this member has those entries, and raft panics when it is
// told to commit entries the log no longer has ("tocommit(X) is out of
// range [lastIndex(Y)]. Was the raft log corrupted, truncated, or lost?").
#pragma once

#include "libformat/common/file_plan.h"
#include "libformat/etcd/member_dir.h"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace zabra::etcd {

class WalRollbackRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct WalRollbackPlan {
    FilePlan plan;
    std::uint64_t target = 0;
    std::uint64_t entries_removed = 0;  // records of entries after the target, overwritten ones included
    std::uint64_t commit = 0;           // the last HardState's commit before the rollback
    std::vector<std::string> notes;
};

// Throws WalRollbackRefused when `index` is not an entry of the WAL, damage
// lies before it, or it is below the commit index and !allow_below_commit.
WalRollbackPlan plan_wal_rollback(const MemberDir& member, std::uint64_t index, bool allow_below_commit);

}  // namespace zabra::etcd
