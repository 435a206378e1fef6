// Offline checks of an etcd member's WAL and .snap files: what etcd refuses
// to start on, what its repair would silently drop, and the raft invariants
// behind its start-up panics (doc/etcd-wal.md §5-§7; fault kinds in doc/fault-kinds.md).
#pragma once

#include "libformat/common/finding.h"
#include "libformat/etcd/member_dir.h"

#include <filesystem>

namespace zabra::etcd {

// Checks a member dir (data dir, member dir, wal or snap dir), adding
// findings and stats to `report`.
void verify_member(const MemberDir& member, VerifyReport& report);

// Checks single files: *.wal segments (as one log, in name order) and *.snap files.
void verify_etcd_files(const std::vector<std::filesystem::path>& files, VerifyReport& report);

}  // namespace zabra::etcd
