// dump --follow: like tail -f on a ZooKeeper txn log. Prints the records
// appended to the newest log after what was printed already, and moves on to
// the logs that ZooKeeper rolls over to in the same dir.
#pragma once

#include "libformat/zab/txnlog_reader.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace zabra::tools {

struct FollowOptions {
    zab::TxnLogReaderOptions reader;  // (extents are set per file)
    std::chrono::milliseconds poll{200};
    std::chrono::milliseconds idle_exit{0};  // 0: follow until interrupted
};

struct FollowSink {
    // A newer log was switched to; its header is to be shown.
    std::function<void(const std::string& file, const zab::TxnLogReader& reader)> begin_log;
    std::function<void(const std::string& file, const zab::TxnLogRecord& record)> record;
    // Whether to stop (--limit reached).
    std::function<bool()> done;
    // After each poll: output so far goes out now.
    std::function<void()> flush;
};

// Follows `current`, and the logs after it in `dir` (empty for a lone file).
// Returns once sink.done() or after idle_exit without a new record.
void follow_log(std::filesystem::path current, const std::filesystem::path& dir, const FollowOptions& options,
                const FollowSink& sink);

}  // namespace zabra::tools
