#include "node/persistence.h"

#include "libformat/common/mapped_file.h"
#include "libformat/common/safe_fs.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/snapshot_writer.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/txnlog_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdexcept>
#include <unistd.h>

namespace zabra::node {

namespace fs = std::filesystem;

namespace {

// Not "log.*" or "snapshot.*": ZooKeeper would take a leftover for real data.
constexpr const char* kTempPrefix = "zabra-tmp.";

// Cuts a log at `offset` by zeroing what follows, keeping the file size: to
// ZooKeeper zeros are preallocation, and the size stays 16 + k x preAllocSize.
void cut_log_at(const fs::path& file, std::uint64_t offset) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(fmt::format("open {}: {}", file.string(), std::strerror(errno)));
    const auto size = static_cast<std::uint64_t>(::lseek(fd, 0, SEEK_END));
    bool ok = true;
    if (size > offset) {
        const auto len = static_cast<off_t>(size - offset);
        if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset), len) != 0) {
            static const std::string zeros(1 << 20, '\0');  // no hole punching here: write the zeros
            for (std::uint64_t at = offset; ok && at < size;) {
                const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size - at));
                const ssize_t w = ::pwrite(fd, zeros.data(), n, static_cast<off_t>(at));
                ok = w > 0;
                at += ok ? static_cast<std::uint64_t>(w) : 0;
            }
        }
    }
    ok = ok && ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok) throw std::runtime_error(fmt::format("cut {} at {}: {}", file.string(), offset, std::strerror(err)));
}

bool holds_only_zeros(const fs::path& file) {
    MappedFile m(file);
    const ByteSpan b = m.bytes();
    return std::all_of(b.begin(), b.end(), [](std::uint8_t c) { return c == 0; });
}


// Files recovery takes out of the way go outside version-2, where ZooKeeper
// does not look: later logs cut off by --force-recover, and unfinished logs.
fs::path move_aside(const fs::path& file, const char* subdir) {
    const fs::path dir = file.parent_path().parent_path() / subdir;
    fs::create_directories(dir);
    const fs::path to = dir / file.filename();
    fs::rename(file, to);
    return to;
}

}  // namespace

Recovered recover(const RecoverOptions& o, const LogLine& log) {
    fs::create_directories(o.snap_dir);
    fs::create_directories(o.log_dir);
    // A snapshot or a new log being written when the server died: never
    // published, so nothing in it was acknowledged or is needed.
    for (const fs::path& dir : {o.snap_dir, o.log_dir}) {
        for (const auto& e : fs::directory_iterator(dir)) {
            const std::string name = e.path().filename().string();
            if (!name.starts_with(kTempPrefix)) continue;
            log(fmt::format("removing {}, an unfinished {} (never published)", name,
                            name.starts_with(kTempPrefix + std::string("log.")) ? "log" : "snapshot"));
            fs::remove(e.path());
        }
    }
    const zab::DataDir snaps = zab::list_data_dir(o.snap_dir);
    const zab::DataDir logs = o.log_dir == o.snap_dir ? snaps : zab::list_data_dir(o.log_dir);
    Recovered r;
    for (auto it = snaps.snapshots.rbegin(); it != snaps.snapshots.rend() && !r.tree; ++it) {
        try {
            MappedFile m(it->path);
            zab::SnapshotReadResult res;
            auto tree = std::make_unique<zab::DataTree>(zab::DataTree::load(m.bytes(), it->name.zxid, res));
            if (!res.ok()) {
                log(fmt::format("skipping snapshot {}: {}", it->path.string(),
                                res.error ? *res.error : std::string("a seal does not match")));
                continue;
            }
            r.tree = std::move(tree);
            r.snapshot_zxid = it->name.zxid;
            log(fmt::format("loaded snapshot {} ({} nodes)", it->path.filename().string(), r.tree->nodes().size()));
        } catch (const std::exception& e) {
            log(fmt::format("skipping snapshot {}: {}", it->path.string(), e.what()));
        }
    }
    if (!r.tree) {
        if (!logs.logs.empty() && logs.logs.front().name.zxid > 1) {
            throw std::runtime_error(fmt::format(
                "no valid snapshot, and the logs start at {}: the txns before are lost; restore a snapshot",
                zab::zxid_hex(logs.logs.front().name.zxid)));
        }
        r.tree = std::make_unique<zab::DataTree>();
    }
    std::int64_t last = r.tree->last_processed_zxid();
    std::size_t replayed = 0;
    for (std::size_t i = 0; i < logs.logs.size(); ++i) {
        const zab::DataFile& f = logs.logs[i];
        // A log whose successor starts at or before the snapshot holds nothing to replay.
        if (i + 1 < logs.logs.size() && logs.logs[i + 1].name.zxid <= last + 1) continue;
        std::optional<zab::LogEnd> end;
        {
            MappedFile m(f.path);
            zab::TxnLogReaderOptions ro;
            ro.extents = &m;
            zab::TxnLogReader reader(m.bytes(), ro);
            zab::TxnLogRecord rec;
            while (reader.next(rec)) {
                const zab::Txn t = zab::decode_txn(rec.payload);
                if (t.header.zxid <= last) continue;
                r.tree->apply(t);
                last = t.header.zxid;
                ++replayed;
            }
            end = reader.end();
        }
        if (end->kind == zab::LogEndKind::Clean) continue;
        if (end->kind == zab::LogEndKind::TornTail) {
            log(fmt::format("{}: torn tail after {} records at offset {} ({}); cutting it there",
                            f.path.filename().string(), end->records, end->offset, end->detail));
            cut_log_at(f.path, end->offset);
            continue;
        }
        if (i + 1 == logs.logs.size() && end->records == 0 && holds_only_zeros(f.path)) {
            // The newest log, without even a header: its creation was cut
            // short, so none of its txns was ever acknowledged. (ZooKeeper
            // 3.9.3+ deletes such a log when it has 0 bytes.)
            const fs::path to = move_aside(f.path, "zabra-unfinished");
            fsync_dir(o.log_dir);
            log(fmt::format("{}: {} bytes, all zero, no header: a log whose creation was interrupted; moved to {}",
                            f.path.filename().string(), fs::file_size(to), to.string()));
            break;
        }
        const std::string what = fmt::format(
            "{}: damaged at offset {} after {} records, zxid {} ({}); {} non-zero bytes follow{}",
            f.path.string(), end->offset, end->records, zab::zxid_hex(last), end->detail, end->nonzero_bytes_after,
            i + 1 < logs.logs.size() ? fmt::format(", and {} later log file(s)", logs.logs.size() - i - 1) : "");
        if (!o.force) {
            throw std::runtime_error(what + "; refusing to start (run `zabra verify` on the data dir; "
                                            "--force-recover cuts the log there and loses what follows)");
        }
        log(what + "; --force-recover: cutting it there");
        cut_log_at(f.path, end->offset);
        for (std::size_t j = i + 1; j < logs.logs.size(); ++j) {
            log(fmt::format("--force-recover: moved {} to {}", logs.logs[j].path.string(),
                            move_aside(logs.logs[j].path, "zabra-force-recover").string()));
        }
        fsync_dir(o.log_dir);
        break;
    }
    r.last_zxid = last;
    log(fmt::format("replayed {} txns; last zxid {}", replayed, zab::zxid_hex(last)));
    return r;
}

TxnLogSyncer::TxnLogSyncer(fs::path log_dir, std::uint64_t prealloc_bytes,
                           std::function<void(std::int64_t)> on_durable)
    : m_dir(std::move(log_dir)), m_prealloc(prealloc_bytes), m_on_durable(std::move(on_durable)) {
    m_roll_next = true;  // a server start begins a new log, as ZooKeeper does
    m_thread = std::thread([this] { run(); });
}

TxnLogSyncer::~TxnLogSyncer() { stop(); }

void TxnLogSyncer::submit(const zab::Txn& txn) {
    std::string payload = zab::encode_txn(txn);
    {
        std::lock_guard lock(m_mu);
        m_queue.push_back({txn.header.zxid, std::move(payload), m_roll_next});
        m_roll_next = false;
    }
    m_cv.notify_one();
}

void TxnLogSyncer::roll() {
    std::lock_guard lock(m_mu);
    m_roll_next = true;
}

void TxnLogSyncer::stop() {
    {
        std::lock_guard lock(m_mu);
        m_stop = true;
    }
    m_cv.notify_one();
    if (m_thread.joinable()) m_thread.join();
}

SyncStats TxnLogSyncer::stats() const {
    std::lock_guard lock(m_mu);
    return m_stats;
}

std::optional<std::string> TxnLogSyncer::failure() const {
    std::lock_guard lock(m_mu);
    return m_failure;
}

void TxnLogSyncer::run() {
    std::unique_ptr<zab::TxnLogWriter> writer;
    // A new log is built as zabra-tmp.log.<zxid> and renamed once its header
    // and first records are durable: a kill while creating it must not leave
    // an empty or header-less log.<zxid>, which ZooKeeper 3.5-3.9.2 cannot start
    // from. Its txns are acknowledged only after the rename is durable too.
    fs::path unpublished;
    const auto publish = [&] {
        if (unpublished.empty()) return;
        writer->rename_to(unpublished);
        fsync_dir(m_dir);
        unpublished.clear();
    };
    std::deque<Item> batch;
    for (;;) {
        {
            std::unique_lock lock(m_mu);
            m_cv.wait(lock, [this] { return m_stop || !m_queue.empty(); });
            if (m_queue.empty()) break;  // stopping, drained
            batch.swap(m_queue);
        }
        try {
            for (const Item& item : batch) {
                if (item.roll_before || !writer) {
                    if (writer) {
                        writer->sync();
                        publish();
                    }
                    const std::string name = zab::log_file_name(item.zxid);
                    writer = std::make_unique<zab::TxnLogWriter>(m_dir / (kTempPrefix + name),
                                                                 zab::TxnLogWriterOptions{m_prealloc, 0, true});
                    unpublished = m_dir / name;
                }
                writer->append_payload(as_bytes(item.payload));
            }
            const auto t0 = std::chrono::steady_clock::now();
            writer->sync();
            publish();
            const auto us = static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
            {
                std::lock_guard lock(m_mu);
                ++m_stats.fsyncs;
                m_stats.txns += batch.size();
                m_stats.fsync_sum_us += us;
                m_stats.fsync_max_us = std::max(m_stats.fsync_max_us, us);
                m_stats.fsync_min_us = m_stats.fsyncs == 1 ? us : std::min(m_stats.fsync_min_us, us);
            }
            m_on_durable(batch.back().zxid);
        } catch (const std::exception& e) {
            std::lock_guard lock(m_mu);
            m_failure = e.what();
            m_on_durable(-1);  // wakes the loop, which sees the failure
            return;
        }
        batch.clear();
    }
    try {
        if (writer) writer->close();
    } catch (const std::exception& e) {
        std::lock_guard lock(m_mu);
        m_failure = e.what();
    }
}

bool FuzzySnapshot::step(const zab::DataTree& tree, std::size_t budget) {
    for (; budget > 0 && !m_stack.empty(); --budget) {
        const std::string path = std::move(m_stack.back());
        m_stack.pop_back();
        const zab::DataNode* n = tree.find(path);
        if (n == nullptr) continue;  // deleted since it was seen: the log says so
        zab::append_snapshot_node(m_nodes, path, n->data, n->acl, n->stat);  // null data stays null (-1)
        if (n->children) {
            for (auto it = n->children->rbegin(); it != n->children->rend(); ++it) m_stack.push_back(path + "/" + *it);
        }
    }
    return m_stack.empty();
}

FuzzySnapshot::Parts FuzzySnapshot::finish(const zab::DataTree& tree, std::int64_t last_zxid,
                                           const std::vector<std::pair<std::int64_t, std::int32_t>>& sessions) {
    Parts p;
    std::vector<zab::SnapshotSession> ss;
    for (const auto& [id, timeout] : sessions) ss.push_back({id, timeout});
    std::vector<zab::SnapshotAcl> acls;
    for (const auto& [id, list] : tree.acls()) acls.push_back({id, list});
    zab::append_snapshot_head(p.head, zab::SnapshotHeader{}, ss, acls);
    p.nodes = std::move(m_nodes);
    p.trailer.seal1 = zab::SnapshotSeal{};
    p.trailer.digest = zab::ZxidDigest{last_zxid, 2, tree.digest(), std::nullopt};
    p.trailer.seal2 = zab::SnapshotSeal{};  // (3.8 has no lastProcessedZxid section; 3.9 added it)
    p.end_zxid = last_zxid;
    return p;
}

std::string encode_fuzzy_snapshot(FuzzySnapshot::Parts parts) {
    std::string out = std::move(parts.head);
    out += parts.nodes;
    parts.nodes = std::string();
    zab::append_snapshot_trailer(out, parts.trailer);
    return out;
}

void write_snapshot_file(const fs::path& snap_dir, const fs::path& log_dir, std::int64_t zxid,
                         const std::string& bytes, int retain, const LogLine& log,
                         const std::function<bool()>& durable) {
    const fs::path final_path = snap_dir / zab::snapshot_file_name(zxid);
    // Not "snapshot.*": ZooKeeper would take a leftover temp file for a snapshot.
    const fs::path tmp = snap_dir / (kTempPrefix + final_path.filename().string());
    {
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) throw std::runtime_error(fmt::format("create {}: {}", tmp.string(), std::strerror(errno)));
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                const int err = errno;
                ::close(fd);
                throw std::runtime_error(fmt::format("write {}: {}", tmp.string(), std::strerror(err)));
            }
            done += static_cast<std::size_t>(n);
        }
        if (::fsync(fd) != 0) {
            const int err = errno;
            ::close(fd);
            throw std::runtime_error(fmt::format("fsync {}: {}", tmp.string(), std::strerror(err)));
        }
        ::close(fd);
    }
    // Published only when its txns are all durable: a crash must not leave
    // a snapshot holding txns the log lost.
    for (int waited_ms = 0; !durable(); ++waited_ms) {
        if (waited_ms > 60000) {
            fs::remove(tmp);
            throw std::runtime_error("its txns did not become durable within 60 s; abandoned");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    fs::rename(tmp, final_path);
    fsync_dir(snap_dir);
    log(fmt::format("snapshot {} written ({} bytes)", final_path.filename().string(), bytes.size()));

    // PurgeTxnLog: the newest `retain` snapshots, and every log from the one
    // that holds the oldest kept snapshot's next txn.
    const zab::DataDir snaps = zab::list_data_dir(snap_dir);
    if (snaps.snapshots.size() <= static_cast<std::size_t>(retain)) return;
    const std::size_t first_kept = snaps.snapshots.size() - static_cast<std::size_t>(retain);
    const std::int64_t oldest_kept = snaps.snapshots[first_kept].name.zxid;
    for (std::size_t i = 0; i < first_kept; ++i) {
        fs::remove(snaps.snapshots[i].path);
        log(fmt::format("purged {}", snaps.snapshots[i].path.filename().string()));
    }
    const zab::DataDir logs = zab::list_data_dir(log_dir);
    std::int64_t keep_from = -1;  // the newest log starting at or before oldest_kept
    for (const auto& l : logs.logs) {
        if (l.name.zxid <= oldest_kept) keep_from = std::max(keep_from, l.name.zxid);
    }
    for (const auto& l : logs.logs) {
        if (l.name.zxid < keep_from) {
            fs::remove(l.path);
            log(fmt::format("purged {}", l.path.filename().string()));
        }
    }
}

}  // namespace zabra::node
