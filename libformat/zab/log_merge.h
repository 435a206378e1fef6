// The txn logs of a data dir read as one stream in zxid order.
//
// ZooKeeper names a log after its first zxid and reads logs in name order.
// When a log's name lies inside an older log's zxids (logs of two servers
// mixed, a restored backup, a hand cut) the two overlap; reading file after
// file would then go back in zxid, and choosing files by name (as ZooKeeper
// does, and as a filter on names would) skips the older log's later txns.
// The merge reads every log and yields every readable record, ordered by
// zxid (ties: the older log first). Each log is sorted, so this is a k-way
// merge of the logs open at once; a log is opened when the stream reaches its
// name, so logs that do not overlap are read one at a time and memory stays
// flat whatever the data.
#pragma once

#include "libformat/common/mapped_file.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/txnlog_reader.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace zabra::zab {

struct MergeSource {
    std::size_t index = 0;  // in the list given to LogMerge (name order)
    DataFile file;
    std::string path;  // file.path as a string, made once
    std::unique_ptr<MappedFile> mapped;
    std::unique_ptr<TxnLogReader> reader;
    TxnLogRecord record;  // the current record, while the source is open
    std::int64_t zxid = -1;  // the current record's (the previous one's if its header is cut short)
    std::uint64_t records = 0;  // yielded so far
    // The name of the next log in name order: ZooKeeper, reading from a zxid
    // above it, starts at that log or a later one and skips this one.
    std::optional<std::int64_t> next_name;
    // Records of this log with a zxid above next_name.
    std::uint64_t past_next_name = 0;
    std::int64_t past_first = 0, past_last = 0;
};

class LogMerge {
public:
    // `logs` in name order (as list_data_dir gives them).
    LogMerge(std::vector<DataFile> logs, TxnLogReaderOptions options);

    struct Event {
        // A record of `source` (which stays valid until it ends), or nothing.
        MergeSource* source = nullptr;
        // A source that has ended (its reader's end() says how), handed over:
        // records of it yielded before stay valid while the caller keeps it.
        std::unique_ptr<MergeSource> ended;
    };
    // The next event; false when every log has ended. Throws what MappedFile
    // throws for a log that cannot be opened.
    bool next(Event& event);

private:
    void open_next();
    void advance(MergeSource& s);

    std::vector<DataFile> m_logs;
    TxnLogReaderOptions m_options;
    std::size_t m_next = 0;
    std::vector<std::unique_ptr<MergeSource>> m_open;
    std::vector<std::unique_ptr<MergeSource>> m_ended;  // to hand out, oldest first
    MergeSource* m_yielded = nullptr;  // to advance on the next call
};

}  // namespace zabra::zab
