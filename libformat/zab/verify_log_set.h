// verify's check of the set of txn logs as ZooKeeper chooses from it: a log
// whose name lies inside an older log's zxids ("log-overlap").
//
// To read from zxid Z (a restore from snapshot S reads from S+1; a leader
// syncing a learner at P by DIFF reads from P), ZooKeeper's FileTxnIterator
// takes the newest log named below Z and every log named Z or above, in name
// order, and skips the rest by name alone. Each log's txns past the next
// log's name are thus read only when Z is at or below that name. Where no
// later log holds them too, they are lost for every Z above it: the server
// starts, or the learner is synced, without them and without a word. Where a
// later log holds them, nothing is lost, but reading from below the name
// replays them twice (ZooKeeper logs an error and goes on).
#pragma once

#include "libformat/common/finding.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/txnlog_reader.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace zabra::zab {

// The zxids of the txns ZooKeeper reads from one log (up to any damage).
struct LogSpan {
    std::optional<std::int64_t> first, last;
};

struct SnapshotOnDisk {
    DataFile file;
    bool loaded = false;  // the one ZooKeeper would load at startup
};

// `logs` in name order (ties by path) with `spans` alike. Reads the logs
// again, as one merged stream, only when some log's txns go past the next
// log's name.
std::vector<Finding> check_log_overlaps(const std::vector<DataFile>& logs, const std::vector<LogSpan>& spans,
                                        const std::vector<SnapshotOnDisk>& snapshots,
                                        const TxnLogReaderOptions& options);

}  // namespace zabra::zab
