// Offline checks of ZooKeeper data: everything ZooKeeper itself silently gets
// wrong or refuses to start on (doc/zookeeper-txnlog.md §5, doc/zookeeper-snapshot.md §4,
// doc/zookeeper-datadir.md §3; fault kinds Z1-Z14 in doc/fault-kinds.md).
// Produces findings; printing is the caller's business.
#pragma once

#include "libformat/common/finding.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/jute.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace zabra::zab {

using zabra::Finding;
using zabra::Severity;
using zabra::severity_name;
using zabra::VerifyReport;
using zabra::VerifyStats;

struct VerifyOptions {
    std::uint32_t max_record = kDefaultMaxBuffer;
    // Replay the logs from the snapshot ZooKeeper would load and compare the
    // tree digest at every txn that carries one.
    bool replay = true;
    // Called now and then with the bytes of files done and in all.
    std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
};

// Each path is a data dir (version-2 or its parent; give dataDir and
// dataLogDir both when they differ), a log or a snapshot file.
VerifyReport verify(const std::vector<std::filesystem::path>& paths, const VerifyOptions& options = {});

}  // namespace zabra::zab
