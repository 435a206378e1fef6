#include "tools/dump/follow_log.h"

#include "libformat/common/mapped_file.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/txnlog_format.h"

#include <thread>

namespace zabra::tools {

namespace fs = std::filesystem;

namespace {

zab::TxnLogReaderOptions with_extents(zab::TxnLogReaderOptions ro, const MappedFile& m) {
    ro.extents = &m;  // zero scans skip the preallocated hole
    return ro;
}

}  // namespace

void follow_log(fs::path current, const fs::path& dir, const FollowOptions& options, const FollowSink& sink) {
    using clock = std::chrono::steady_clock;
    std::uint64_t pos = zab::kTxnLogHeaderSize;
    std::uint64_t index = 0;
    // Skip what was printed already: start after the last valid record.
    {
        MappedFile m(current);
        zab::TxnLogReader r(m.bytes(), with_extents(options.reader, m));
        zab::TxnLogRecord rec;
        while (r.next(rec)) {
            pos = rec.offset + rec.size();
            index = rec.index + 1;
        }
    }
    auto last_activity = clock::now();
    bool announce = false;  // print the header of a log we switched to
    for (;;) {
        bool progressed = false;
        bool clean_end = false;
        {
            MappedFile m(current);
            zab::TxnLogReader r(m.bytes(), with_extents(options.reader, m));
            if (r.header_status() == zab::HeaderStatus::Ok) {
                if (announce) sink.begin_log(current.string(), r);
                announce = false;
                r.seek(pos);
                zab::TxnLogRecord rec;
                while (!sink.done() && r.next(rec)) {
                    rec.index = index++;
                    sink.record(current.string(), rec);
                    pos = rec.offset + rec.size();
                    progressed = true;
                }
                clean_end = r.end().kind == zab::LogEndKind::Clean;
            }
        }
        if (!dir.empty() && clean_end) {
            // A newer log means this one is finished (ZooKeeper rolled it).
            const zab::DataDir d = zab::list_data_dir(dir);
            auto cur_name = zab::parse_data_file_name(current.filename().string());
            for (const auto& f : d.logs) {
                if (f.name.canonical && cur_name && f.name.zxid > cur_name->zxid) {
                    current = f.path;
                    pos = zab::kTxnLogHeaderSize;
                    index = 0;
                    progressed = true;
                    announce = true;
                    break;
                }
            }
        }
        sink.flush();
        if (sink.done()) return;
        if (progressed) last_activity = clock::now();
        if (options.idle_exit.count() != 0 && clock::now() - last_activity > options.idle_exit) return;
        std::this_thread::sleep_for(options.poll);
    }
}

}  // namespace zabra::tools
