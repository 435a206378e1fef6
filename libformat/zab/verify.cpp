#include "libformat/zab/data_dir.h"
#include "libformat/zab/verify.h"

#include "libformat/common/mapped_file.h"
#include "libformat/zab/data_tree.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/verify_log_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <memory>

namespace zabra::zab {

namespace fs = std::filesystem;

}  // namespace zabra::zab

namespace zabra {

const char* severity_name(Severity s) {
    switch (s) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
    }
    return "?";
}

std::size_t VerifyReport::count(Severity s) const {
    return static_cast<std::size_t>(
        std::count_if(findings.begin(), findings.end(), [s](const Finding& f) { return f.severity == s; }));
}

Finding& VerifyReport::add(Severity severity, std::string code, const std::filesystem::path& file, std::string message,
                           std::string action) {
    Finding f;
    f.severity = severity;
    f.code = std::move(code);
    f.file = file;
    f.message = std::move(message);
    f.action = std::move(action);
    findings.push_back(std::move(f));
    return findings.back();
}

}  // namespace zabra

namespace zabra::zab {

namespace {


std::string zxid_range(std::int64_t a, std::int64_t b) {
    return a == b ? "zxid " + zxid_hex(a) : fmt::format("zxids {}..{}", zxid_hex(a), zxid_hex(b));
}

constexpr std::uint8_t kSealTail[5] = {0, 0, 0, 1, '/'};

struct SnapshotState {
    explicit SnapshotState(DataFile f) : file(std::move(f)) {}
    DataFile file;
    bool zk_valid = false;  // ZooKeeper would accept it at startup
    bool unreadable = false;
    // Findings of its check, kept apart because snapshots are checked on two
    // threads; they join the report in snapshot order.
    std::vector<Finding> findings;
};

// The chosen snapshot's tree for replay, or why it could not be built.
struct LoadedTree {
    std::unique_ptr<DataTree> tree;
    std::optional<FormatError> error;
};

Finding make_finding(Severity sev, std::string code, const fs::path& file, std::string message, std::string action) {
    Finding f;
    f.severity = sev;
    f.code = std::move(code);
    f.file = file;
    f.message = std::move(message);
    f.action = std::move(action);
    return f;
}

struct Position {
    std::int64_t zxid;
    const DataFile* file;  // m_logs does not change while logs are read
    std::uint64_t offset;
    std::uint64_t record;
};

class Verifier {
public:
    Verifier(const VerifyOptions& options, VerifyReport& report) : m_o(options), m_r(report) {}

    void add_dir(const fs::path& path) {
        DataDir d = list_data_dir(path);
        if (d.logs.empty() && d.snapshots.empty()) {
            // "clean" would mislead someone who gave the wrong directory.
            std::string hint;
            std::error_code ec;
            for (const auto& e : fs::directory_iterator(path, ec)) {
                if (fs::is_directory(e.path() / "version-2", ec)) {
                    hint = fmt::format("; {} holds one", e.path().string());
                    break;
                }
            }
            add(Severity::Warning, "no-data", d.version2,
                fmt::format("no txn log or snapshot here (looked for log.* and snapshot.* in {}){}",
                            d.version2.string(), hint),
                "give ZooKeeper's dataDir or dataLogDir, their version-2, or the files; only a server that "
                "has never taken a write has none");
        }
        for (auto& f : d.logs) m_logs.push_back(std::move(f));
        for (auto& f : d.snapshots) m_snaps.push_back(SnapshotState{std::move(f)});
        m_dirs.push_back(std::move(d));
    }

    void add_file(const fs::path& path) {
        auto name = parse_data_file_name(path.filename().string());
        DataFile f{path, name.value_or(DataFileName{}), fs::file_size(path)};
        if (!name) {
            // Not named like ZooKeeper data: go by content.
            MappedFile m(path);
            const auto b = m.bytes();
            const bool log = b.size() >= 4 && load_be32(b.data()) == kTxnLogMagic;
            f.name.kind = log ? FileKind::TxnLog : FileKind::Snapshot;
            f.name.zxid = -1;
            f.name.canonical = true;
            f.name.name_compression = detect_compression(b);
        }
        if (f.name.kind == FileKind::TxnLog) {
            m_logs.push_back(std::move(f));
        } else {
            m_snaps.push_back(SnapshotState{std::move(f)});
        }
    }

    void run() {
        auto by_zxid = [](const DataFile& a, const DataFile& b) {
            return a.name.zxid != b.name.zxid ? a.name.zxid < b.name.zxid : a.path < b.path;
        };
        std::sort(m_logs.begin(), m_logs.end(), by_zxid);
        std::sort(m_snaps.begin(), m_snaps.end(),
                  [&](const SnapshotState& a, const SnapshotState& b) { return by_zxid(a.file, b.file); });
        check_names();
        for (const auto& s : m_snaps) m_total_bytes += s.file.size;
        for (const auto& l : m_logs) m_total_bytes += l.size;
        check_snapshots();
        choose_snapshot();
        m_spans.assign(m_logs.size(), {});
        for (std::size_t i = 0; i < m_logs.size(); ++i) {
            check_log(m_logs[i], i + 1 == m_logs.size(), m_spans[i]);
            progress(m_logs[i].size);
        }
        check_overlaps();
        check_coverage();
        finish_replay();
        check_epochs();
    }

private:
    void progress(std::uint64_t bytes) {
        m_done_bytes += bytes;
        if (m_o.on_progress) m_o.on_progress(m_done_bytes, m_total_bytes);
    }

    Finding& add(Severity sev, std::string code, const fs::path& file, std::string message, std::string action) {
        m_r.findings.push_back(make_finding(sev, std::move(code), file, std::move(message), std::move(action)));
        return m_r.findings.back();
    }

    // Maps a file, or reports why it cannot be read (and returns null).
    std::unique_ptr<MappedFile> open(const fs::path& path) {
        try {
            return std::make_unique<MappedFile>(path);
        } catch (const std::exception& e) {
            add(Severity::Error, "unreadable", path, e.what(), "check permissions and the disk");
            m_r.unreadable = true;
            return nullptr;
        }
    }

    void check_names() {
        auto check = [&](const DataFile& f) {
            if (f.name.canonical) return;
            const char* what = f.name.kind == FileKind::TxnLog ? "txn log" : "snapshot";
            add(Severity::Warning, "name-non-canonical", f.path,
                f.name.zxid < 0
                    ? fmt::format("{} is not a name ZooKeeper writes; its zxid does not parse, so ZooKeeper gives "
                                  "it zxid -1",
                                  f.path.filename().string())
                    : fmt::format("{} is not a name ZooKeeper writes, but ZooKeeper ignores the suffix and loads it "
                                  "as the {} of zxid {}",
                                  f.path.filename().string(), what, zxid_hex(f.name.zxid)),
                "move it out of version-2 (ZooKeeper replays or restores from it)");
        };
        for (const auto& f : m_logs) check(f);
        for (const auto& s : m_snaps) check(s.file);
    }

    // ------------------------------------------------------------- snapshots

    // Checks one snapshot as ZooKeeper would before loading it, and more.
    // Touches nothing but `s`: snapshots are checked on two threads.
    void check_snapshot(SnapshotState& s) const {
        const DataFile& f = s.file;
        auto add = [&s](Severity sev, std::string code, const fs::path& file, std::string message,
                        std::string action) -> Finding& {
            s.findings.push_back(make_finding(sev, std::move(code), file, std::move(message), std::move(action)));
            return s.findings.back();
        };
        std::unique_ptr<MappedFile> m;
        try {
            m = std::make_unique<MappedFile>(f.path);
        } catch (const std::exception& e) {
            add(Severity::Error, "unreadable", f.path, e.what(), "check permissions and the disk");
            s.unreadable = true;
            return;
        }
        const ByteSpan b = m->bytes();
        const Compression content = detect_compression(b);
        bool quick_ok = f.name.zxid >= 0;
        switch (f.name.name_compression) {
        case Compression::None:
            quick_ok = quick_ok && b.size() >= 10 && std::equal(b.end() - 5, b.end(), kSealTail);
            break;
        case Compression::Gzip: quick_ok = quick_ok && b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; break;
        case Compression::Snappy: quick_ok = quick_ok && content == Compression::Snappy; break;
        }
        if (content != f.name.name_compression) {
            add(Severity::Error, "snapshot-compression-mismatch", f.path,
                fmt::format("content is {} but the name says {}; ZooKeeper decodes by name and will reject it",
                            compression_name(content), compression_name(f.name.name_compression)),
                "rename it to match its content, or move it aside");
        }
        struct SealsOnly final : SnapshotVisitor {
            bool wants_nodes() const override { return false; }
        } ignore;
        SnapshotReadOptions ro;
        ro.max_buffer = m_o.max_record;
        ro.on_consumed = [&m](std::uint64_t c) { m->release_before(c); };
        const SnapshotReadResult r = read_snapshot(b, ignore, ro);
        if (r.error) {
            Finding& fd = r.truncated
                              ? add(Severity::Warning, "snapshot-truncated", f.path,
                                    fmt::format("snapshot ends early ({}); ZooKeeper skips it", *r.error),
                                    "move it aside: a crash or a full disk interrupted the write")
                              : add(Severity::Error, "snapshot-undecodable", f.path,
                                    fmt::format("{}; ZooKeeper skips it", *r.error),
                                    "move it aside; check the disk");
            fd.offset = r.error_offset;
            fd.zxid = f.name.zxid;
        }
        static constexpr const char* kSealWhat[] = {"the header, sessions, ACLs and nodes",
                                                    "the digest section", "the lastProcessedZxid section"};
        const std::optional<SnapshotSeal>* seals[] = {&r.trailer.seal1, &r.trailer.seal2, &r.trailer.seal3};
        for (int i = 0; i < 3; ++i) {
            if (!*seals[i] || (*seals[i])->ok()) continue;
            Finding& fd = add(Severity::Error, "snapshot-seal-mismatch", f.path,
                              fmt::format("seal {} (over {}) stores 0x{:x}, the data gives 0x{:x}; ZooKeeper skips "
                                          "this snapshot (\"CRC corruption\")",
                                          i + 1, kSealWhat[i], (*seals[i])->stored, (*seals[i])->computed),
                              i == 0 ? "move it aside; the node data in it is damaged"
                                     : "move it aside; the nodes are intact but ZooKeeper will not load it");
            fd.offset = (*seals[i])->offset;
            fd.zxid = f.name.zxid;
        }
        if (!r.error && !quick_ok && content == f.name.name_compression) {
            add(Severity::Warning, "snapshot-fails-quick-check", f.path,
                "ZooKeeper's quick validity check (isValidSnapshot) rejects this file", "move it aside");
        }
        s.zk_valid = quick_ok && r.ok() && content == f.name.name_compression;
    }

    // Snapshots are checked oldest first, the newest on this thread and the
    // others on a second core; meanwhile, when the newest passes, its tree is
    // loaded for replay, as it is nearly always the one ZooKeeper chooses.
    void check_snapshots() {
        if (m_snaps.empty()) return;
        SnapshotState& newest = m_snaps.back();
        auto older = std::async(std::launch::async, [this] {
            for (std::size_t i = 0; i + 1 < m_snaps.size(); ++i) check_snapshot(m_snaps[i]);
        });
        try {
            check_snapshot(newest);
            if (m_o.replay && newest.zk_valid) m_preloaded = load_tree(newest);
        } catch (...) {
            older.wait();
            throw;
        }
        older.get();
        for (auto& snap : m_snaps) {
            ++m_r.stats.snapshots;
            if (snap.unreadable) m_r.unreadable = true;
            for (auto& f : snap.findings) m_r.findings.push_back(std::move(f));
            snap.findings.clear();
            progress(snap.file.size);
        }
    }

    // What replaying the logs after `zxid` needs from the tree: a first,
    // cheap pass over the logs (only txns after the snapshot are decoded).
    WorkingSet working_set_after(std::int64_t zxid) const {
        WorkingSet ws;
        for (std::size_t i = 0; i < m_logs.size(); ++i) {
            if (i + 1 < m_logs.size() && m_logs[i + 1].name.zxid >= 0 && m_logs[i + 1].name.zxid <= zxid) continue;
            std::unique_ptr<MappedFile> m;
            try {
                m = std::make_unique<MappedFile>(m_logs[i].path);
            } catch (const std::exception&) {
                continue;  // check_log reports it
            }
            TxnLogReaderOptions ro;
            ro.max_record = m_o.max_record;
            ro.extents = m.get();
            TxnLogReader reader(m->bytes(), ro);
            TxnLogRecord rec;
            while (reader.next(rec)) {
                if (rec.payload.size() < kTxnHeaderSize || decode_txn_header(rec.payload).zxid <= zxid) continue;
                try {
                    ws.add(decode_txn(rec.payload, {m_o.max_record}));
                } catch (const FormatError&) {
                    // not replayed either
                }
            }
        }
        return ws;
    }

    LoadedTree load_tree(const SnapshotState& snap) const {
        LoadedTree loaded;
        try {
            MappedFile m(snap.file.path);
            SnapshotReadResult r;
            SnapshotReadOptions ro;
            ro.max_buffer = m_o.max_record;
            ro.on_consumed = [&m](std::uint64_t c) { m.release_before(c); };
            // Digest only, and only the nodes the replay touches: the replay
            // needs no data, and memory stays flat as the snapshot grows.
            const WorkingSet ws = working_set_after(snap.file.name.zxid);
            loaded.tree = std::make_unique<DataTree>(
                DataTree::load(m.bytes(), snap.file.name.zxid, r, ro, /*keep_data=*/false, &ws));
        } catch (const FormatError& e) {
            loaded.error = e;
        }
        return loaded;
    }

    void choose_snapshot() {
        std::size_t skipped = 0;
        for (auto it = m_snaps.rbegin(); it != m_snaps.rend(); ++it) {
            if (!it->zk_valid) {
                ++skipped;
                continue;
            }
            m_chosen = &*it;
            break;
        }
        if (m_chosen == nullptr) {
            if (!m_logs.empty() && !m_dirs.empty()) {
                add(Severity::Error, "no-valid-snapshot", m_dirs.front().version2,
                    "no snapshot ZooKeeper would load, but there are txn logs: it will not start (\"No snapshot "
                    "found, but there are log entries\")",
                    "restore a snapshot from another server or a backup; zookeeper.snapshot.trust.empty=true only "
                    "helps if the logs start at zxid 1");
            }
            return;
        }
        m_r.stats.chosen_snapshot = m_chosen->file.path;
        if (skipped > 0) {
            Finding& fd = add(Severity::Warning, "snapshot-fallback", m_chosen->file.path,
                              fmt::format("ZooKeeper skips the {} newer snapshot(s) and loads this one", skipped),
                              "check that the logs after it are all there (see the other findings)");
            fd.zxid = m_chosen->file.name.zxid;
        }
        if (!m_o.replay) return;
        LoadedTree loaded = m_chosen == &m_snaps.back() && (m_preloaded.tree || m_preloaded.error)
                                ? std::move(m_preloaded)
                                : load_tree(*m_chosen);
        m_preloaded = {};
        if (loaded.error) {
            add(Severity::Error, "snapshot-invalid-tree", m_chosen->file.path,
                fmt::format("{}; ZooKeeper fails to load it", loaded.error->what()), "move it aside")
                .offset = loaded.error->offset();
            return;
        }
        m_tree = std::move(loaded.tree);
        m_applied = m_chosen->file.name.zxid;
        const DigestCheck& c = m_tree->load_check();
        if (c.compared) {
            ++m_r.stats.digests_compared;
            if (c.expected != c.actual) {
                add(Severity::Error, "snapshot-digest-mismatch", m_chosen->file.path,
                    fmt::format("the nodes give digest {}, the snapshot stores {}", zxid_hex(c.actual), zxid_hex(c.expected)),
                    "move it aside; ZooKeeper would load it without noticing")
                    .zxid = m_chosen->file.name.zxid;
            }
        }
    }

    // ------------------------------------------------------------------ logs

    void check_log(const DataFile& f, bool newest, LogSpan& span) {
        ++m_r.stats.logs;
        const std::unique_ptr<MappedFile> m = open(f.path);
        if (!m) return;
        TxnLogReaderOptions ro;
        ro.max_record = m_o.max_record;
        ro.extents = m.get();
        TxnLogReader reader(m->bytes(), ro);
        if (reader.header_status() != HeaderStatus::Ok) return bad_header(f, reader, newest);

        TxnLogRecord rec;
        bool first = true;
        std::uint64_t released = 0;
        while (reader.next(rec)) {
            if (rec.offset > released + (4u << 20)) {
                m->release_before(rec.offset);  // flat memory on large logs
                if (m_o.on_progress) m_o.on_progress(m_done_bytes + rec.offset, m_total_bytes);
                released = rec.offset;
            }
            const auto t = record(f, rec);
            if (t) {
                if (!span.first) span.first = t->zxid;
                span.last = t->zxid;
            }
            if (first && t && f.name.zxid >= 0 && t->zxid != f.name.zxid) {
                Finding& fd = add(Severity::Warning, "log-name-mismatch", f.path,
                                  fmt::format("first txn is {} but the name says {}; ZooKeeper picks logs by name",
                                              zxid_hex(t->zxid), zxid_hex(f.name.zxid)),
                                  "rename the file after its first zxid");
                fd.offset = rec.offset;
                fd.record = rec.index;
            }
            first = false;
        }
        const LogEnd end = reader.end();
        if (newest && end.kind == LogEndKind::Clean && end.records == 0) {
            // What zabra repair moves aside: said here too, so that verify and
            // repair never disagree about the same file.
            add(Severity::Info, "log-header-only", f.path,
                "the newest log holds a header and no txn: the server created it and stopped before its first "
                "txn reached the disk; ZooKeeper reads it as empty",
                "nothing needed; zabra repair moves it aside").offset = 16;
        }
        switch (end.kind) {
        case LogEndKind::Clean: return;
        case LogEndKind::TornTail: {
            Finding& fd = add(Severity::Warning, "log-torn-tail", f.path,
                              fmt::format("the last record was cut short ({}); ZooKeeper drops it{}", end.detail,
                                          newest ? ", as after any crash" : " and goes on with the next log"),
                              newest ? "nothing needed; zabra repair cuts it cleanly"
                                     : "check the next log starts at the next zxid");
            fd.offset = end.offset;
            fd.record = end.records;
            fd.zxid = m_last ? std::optional<std::int64_t>(m_last->zxid) : std::nullopt;
            return;
        }
        case LogEndKind::Damaged: break;
        }
        damaged(f, reader, end, newest);
    }

    void bad_header(const DataFile& f, const TxnLogReader& reader, bool newest) {
        const LogEnd& end = reader.end();
        const bool empty_or_short = reader.header_status() == HeaderStatus::Empty ||
                                    reader.header_status() == HeaderStatus::Short;
        const bool all_zero = end.detail.find("are zero") != std::string::npos;
        std::string code = reader.header_status() == HeaderStatus::Empty ? "log-empty"
                           : reader.header_status() == HeaderStatus::Short ? "log-short-header"
                           : all_zero ? "log-all-zero" : "log-bad-magic";
        std::string why = empty_or_short
                              ? "ZooKeeper 3.5-3.9.2 will not start (EOFException reading the header); 3.9.3+ "
                                "deletes it only if it is the newest log and has 0 bytes"
                              : "ZooKeeper will not start (\"invalid magic number\")";
        std::string action = (newest && (empty_or_short || all_zero))
                                 ? "move it aside (zabra repair): it cannot hold a txn"
                                 : "resync this server from the quorum or restore the file";
        add(Severity::Error, code, f.path, fmt::format("{}; {}", end.detail, why), action).offset = 0;
    }

    // Checks one record; feeds continuity and replay. Only txns that are
    // replayed are decoded in full.
    std::optional<TxnHeader> record(const DataFile& f, const TxnLogRecord& rec, bool replay = true) {
        ++m_r.stats.records;
        m_r.stats.payload_bytes += rec.payload.size();
        const TxnDecodeOptions dopt{m_o.max_record};
        TxnCheck t;
        try {
            t = check_txn(rec.payload, dopt);
        } catch (const FormatError& e) {
            Finding& fd = add(Severity::Error, "txn-undecodable", f.path,
                              fmt::format("{}; ZooKeeper will not start (it cannot deserialize it)", e.what()),
                              "resync this server from the quorum");
            fd.offset = rec.offset;
            fd.record = rec.index;
            if (rec.payload.size() >= kTxnHeaderSize) fd.zxid = decode_txn_header(rec.payload).zxid;
            return std::nullopt;
        }
        auto note = [&](Severity sev, std::string code, std::string message, std::string action) {
            Finding& fd = add(sev, std::move(code), f.path, std::move(message), std::move(action));
            fd.offset = rec.offset;
            fd.record = rec.index;
            fd.zxid = t.header.zxid;
        };
        if (t.unknown_type) {
            note(Severity::Error, "txn-unknown-type",
                 fmt::format("txn type {} is unknown; ZooKeeper will not start (\"Unsupported Txn\")", t.header.type),
                 "resync this server from the quorum");
        } else if (t.header.type == op::check) {
            note(Severity::Error, "txn-top-level-check",
                 "a standalone check (opcode 13) logged as a txn (ZOOKEEPER-2623); no ZooKeeper version can "
                 "replay it, so the server will not start",
                 "drop this record: it changes no data (zabra repair)");
        } else if (t.bad_op >= 0) {
            // Rare: decode in full for the reason.
            const Txn full = decode_txn(rec.payload, dopt);
            const auto& ops = *std::get<MultiTxn>(full.body).ops;
            for (std::size_t i = static_cast<std::size_t>(t.bad_op); i < ops.size(); ++i) {
                const SubTxn& op = ops[i];
                if (op.decode_error.empty() && !std::holds_alternative<RawTxn>(op.body)) continue;
                note(Severity::Error, "txn-undecodable",
                     fmt::format("multi op {} (type {}) does not decode: {}", i, op.type,
                                 op.decode_error.empty() ? "unknown type" : op.decode_error),
                     "resync this server from the quorum");
            }
        }
        if (t.trailing != 0) {
            note(Severity::Warning, "txn-trailing-bytes",
                 fmt::format("{} bytes after the body that are not a digest; ZooKeeper ignores them", t.trailing),
                 "none needed; a writer other than ZooKeeper may have made this record");
        }
        follow(t.header.zxid, f, rec);
        if (replay && m_tree && !m_replay_stopped && t.header.zxid > m_applied) {
            apply(decode_txn(rec.payload, dopt), f, rec);
        }
        return t.header;
    }

    void damaged(const DataFile& f, TxnLogReader& reader, const LogEnd& end, bool newest) {
        std::string code, why, action = "resync this server from the quorum, or restore the file from a backup";
        switch (end.cause) {
        case EndCause::ChecksumMismatch:
            code = "log-checksum-mismatch";
            why = "ZooKeeper will not start (\"CRC check failed\")";
            if (end.nonzero_bytes_after == 0 && newest) {
                // Z8: nothing after it, in the newest log: a write whose sectors
                // reached the disk out of order looks exactly like this.
                why += "; it is the last record and nothing follows it, so it may be a torn write "
                       "(ZOOKEEPER-2560) rather than corruption";
                action = m_last ? fmt::format("if the quorum has the txn after {}, cut this record with 'zabra rollback "
                                              "DIR --to {}' (repair does not: it cannot tell it from corruption); "
                                              "else resync this server from the quorum",
                                              zxid_hex(m_last->zxid), zxid_hex(m_last->zxid))
                                : "resync this server from the quorum";
            }
            break;
        case EndCause::ZeroLength:
        case EndCause::BadEndOfRecord:
            code = "log-hidden-records";
            why = "ZooKeeper stops reading this file here without an error and silently skips what follows";
            break;
        case EndCause::LengthOverLimit:
            code = end.intact_over_limit ? "log-record-over-limit" : "log-bad-length";
            why = "ZooKeeper will not start (\"Unreasonable length\")";
            if (end.intact_over_limit) action = "the record is intact: raise jute.maxbuffer on every server";
            break;
        case EndCause::NegativeLength:
            code = "log-bad-length";
            why = "ZooKeeper will not start (a length of -1 crashes its reader)";
            break;
        default:
            code = "log-damaged";
            why = "ZooKeeper stops reading this file here";
        }
        const std::optional<std::int64_t> last_good = m_damage_zxid_hint;
        Finding& made = add(Severity::Error, code, f.path, "", action);
        made.offset = end.offset;
        made.record = end.records;
        made.zxid = last_good;  // the last good zxid before the damage
        const std::size_t at = m_r.findings.size() - 1;
        m_open_damage = at;  // the next record's gap, if any, belongs to this damage
        // What lies beyond the damage: readable records ZooKeeper never sees.
        std::uint64_t hidden = 0;
        std::optional<std::int64_t> hidden_first, hidden_last;
        if (end.resume_offset) {
            reader.seek(*end.resume_offset);
            TxnLogRecord rec;
            while (reader.next(rec)) {
                if (auto t = record(f, rec, /*replay=*/false)) {
                    ++hidden;
                    if (!hidden_first) hidden_first = t->zxid;
                    hidden_last = t->zxid;
                }
            }
        }
        std::string message = fmt::format("{}; {}", end.detail, why) + m_r.findings[at].message;
        if (hidden > 0) {
            message += fmt::format("; {} readable records follow ({}) from offset {}", hidden,
                                   zxid_range(*hidden_first, *hidden_last), *end.resume_offset);
        } else if (end.nonzero_bytes_after > 0) {
            message += fmt::format("; {} non-zero bytes follow but no readable record", end.nonzero_bytes_after);
        }
        if (end.resume_search_incomplete) message += " (the search for readable records gave up)";
        m_r.findings[at].message = std::move(message);
        m_replay_stopped = true;  // ZooKeeper's state diverges from here
    }

    // ------------------------------------------------------------ continuity

    void follow(std::int64_t zxid, const DataFile& f, const TxnLogRecord& rec) {
        if (!m_r.stats.first_zxid) m_r.stats.first_zxid = zxid;
        m_r.stats.last_zxid = std::max(m_r.stats.last_zxid.value_or(zxid), zxid);
        m_damage_zxid_hint = zxid;
        const Position here{zxid, &f, rec.offset, rec.index};
        if (m_chosen != nullptr && !m_first_after_snapshot && zxid > m_chosen->file.name.zxid) {
            m_first_after_snapshot = here;
        }
        if (!m_last) {
            m_last = here;
            return;
        }
        const Position prev = *m_last;
        m_last = here;
        const std::optional<std::size_t> damage = m_open_damage;
        m_open_damage.reset();
        if (zxid <= prev.zxid) {
            Finding& fd = add(Severity::Error, "zxid-backwards", f.path,
                              fmt::format("zxid {} after {} ({}); ZooKeeper logs an error and replays it anyway",
                                          zxid_hex(zxid), zxid_hex(prev.zxid), prev.file->path.filename().string()),
                              "look for a duplicated or misnamed log file");
            fd.offset = rec.offset;
            fd.record = rec.index;
            fd.zxid = zxid;
            return;
        }
        if (zxid_follows(prev.zxid, zxid)) return;
        if (damage && zxid_epoch(prev.zxid) == zxid_epoch(zxid)) {
            // The missing txns are the damaged record(s) themselves.
            m_r.findings[*damage].message +=
                fmt::format("; the damaged part held {}", zxid_range(prev.zxid + 1, zxid - 1));
            return;
        }
        // A learner brought up to date by a SNAP has a snapshot where its log
        // has a hole: the txns in between are inside the snapshot.
        for (const auto& s : m_snaps) {
            if (s.zk_valid && s.file.name.zxid >= prev.zxid && zxid_follows(s.file.name.zxid, zxid)) {
                Finding& fd = add(Severity::Info, "zxid-gap-covered", f.path,
                                  fmt::format("the log jumps from {} to {}; {} holds the state in between (a sync "
                                              "by snapshot)",
                                              zxid_hex(prev.zxid), zxid_hex(zxid), s.file.path.filename().string()),
                                  "none");
                fd.offset = rec.offset;
                fd.record = rec.index;
                fd.zxid = zxid;
                return;
            }
        }
        const bool same_epoch = zxid_epoch(prev.zxid) == zxid_epoch(zxid);
        Finding& fd = add(Severity::Error, "zxid-gap", f.path,
                          same_epoch
                              ? fmt::format("txns {}..{} are missing (the log goes from {} in {} to {}); ZooKeeper "
                                            "starts without them and without a word",
                                            zxid_hex(prev.zxid + 1), zxid_hex(zxid - 1), zxid_hex(prev.zxid),
                                            prev.file->path.filename().string(), zxid_hex(zxid))
                              : fmt::format("epoch {} starts at counter {} after {} in {}: txns {}..{} of the new "
                                            "epoch are missing",
                                            zxid_epoch(zxid), zxid_counter(zxid), zxid_hex(prev.zxid),
                                            prev.file->path.filename().string(), zxid_hex(zxid & ~0xffffffffll) + "+1",
                                            zxid_hex(zxid - 1)),
                          "find the missing log file, or resync this server from the quorum");
        fd.offset = rec.offset;
        fd.record = rec.index;
        fd.zxid = zxid;
    }

    // Logs named inside an older log's zxids (verify_log_set.h). The step back
    // in zxid that reading them in name order shows is part of that finding.
    void check_overlaps() {
        std::vector<SnapshotOnDisk> snaps;
        for (const auto& s : m_snaps) snaps.push_back({s.file, &s == m_chosen});
        TxnLogReaderOptions ro;
        ro.max_record = m_o.max_record;
        std::vector<Finding> found;
        try {
            found = check_log_overlaps(m_logs, m_spans, snaps, ro);
        } catch (const std::exception&) {
            return;  // a log that cannot be read again: reported as unreadable when it was first read
        }
        for (Finding& f : found) {
            auto absorbed = std::find_if(m_r.findings.begin(), m_r.findings.end(), [&](const Finding& b) {
                return b.code == "zxid-backwards" && b.file == f.file && b.record == 0u;
            });
            if (absorbed != m_r.findings.end()) m_r.findings.erase(absorbed);
            m_r.findings.push_back(std::move(f));
        }
    }

    void check_coverage() {
        if (m_chosen == nullptr) return;
        const std::int64_t s = m_chosen->file.name.zxid;
        if (!m_first_after_snapshot || zxid_follows(s, m_first_after_snapshot->zxid)) return;
        Finding& fd = add(Severity::Error, "snapshot-not-covered", m_first_after_snapshot->file->path,
                          fmt::format("ZooKeeper loads {} and needs the txns after {}, but the logs go on only at {}: "
                                      "everything in between is lost",
                                      m_chosen->file.path.filename().string(), zxid_hex(s),
                                      zxid_hex(m_first_after_snapshot->zxid)),
                          "find the missing log file, or resync this server from the quorum");
        fd.offset = m_first_after_snapshot->offset;
        fd.record = m_first_after_snapshot->record;
        fd.zxid = m_first_after_snapshot->zxid;
    }

    // ---------------------------------------------------------------- replay

    void apply(const Txn& t, const DataFile& f, const TxnLogRecord& rec) {
        if (!m_tree || m_replay_stopped || t.header.zxid <= m_applied) return;
        if (!zxid_follows(m_applied, t.header.zxid)) {
            m_replay_stopped = true;  // a gap: the finding is made by follow()
            return;
        }
        m_applied = t.header.zxid;
        const DigestCheck c = m_tree->apply_and_check(t);
        if (!c.compared) return;
        ++m_r.stats.digests_compared;
        if (c.expected == c.actual) return;
        ++m_digest_mismatches;
        if (m_digest_mismatches > 1) return;
        Finding& fd = add(Severity::Error, "digest-mismatch", f.path,
                          fmt::format("after replaying to {} the tree digest is {}, the log says {}: the data "
                                      "this server would load differs from what the leader had",
                                      zxid_hex(t.header.zxid), zxid_hex(c.actual), zxid_hex(c.expected)),
                          "resync this server from the quorum");
        fd.offset = rec.offset;
        fd.record = rec.index;
        fd.zxid = t.header.zxid;
    }

    void finish_replay() {
        if (!m_tree) return;
        if (m_digest_mismatches > 1) {
            add(Severity::Error, "digest-mismatch", m_chosen->file.path,
                fmt::format("{} txns in all end with a digest other than the one logged", m_digest_mismatches),
                "resync this server from the quorum");
        }
        if (m_tree->in_fuzzy_range()) {
            add(Severity::Warning, "digest-not-covered", m_chosen->file.path,
                fmt::format("the logs end at {} before the snapshot's digest zxid: the state cannot be checked",
                            zxid_hex(m_applied)),
                "look for a missing log file");
        }
    }

    // ---------------------------------------------------------------- epochs

    void check_epochs() {
        std::optional<std::int64_t> last = m_r.stats.last_zxid;
        if (m_chosen != nullptr) last = std::max(last.value_or(-1), m_chosen->file.name.zxid);
        for (const DataDir& d : m_dirs) {
            for (const auto& p : d.problems) {
                add(Severity::Error, "epoch-file-junk", d.version2, p + "; ZooKeeper will not start",
                    "restore the file from another copy; never lower an epoch");
            }
            const bool tmp = fs::exists(d.version2 / "currentEpoch.tmp");
            if (tmp) {
                add(Severity::Warning, "epoch-tmp-present", d.version2 / "currentEpoch.tmp",
                    "an epoch update was interrupted; ZooKeeper uses this file to recover",
                    "leave it for ZooKeeper to finish the update");
            }
            if (d.current_epoch && last && zxid_epoch(*last) > *d.current_epoch && !tmp) {
                add(Severity::Error, "epoch-older-than-zxid", d.version2 / "currentEpoch",
                    fmt::format("currentEpoch is {} but the data reaches zxid {} of epoch {}; ZooKeeper will not "
                                "start (\"The current epoch, {}, is older than the last zxid\")",
                                *d.current_epoch, zxid_hex(*last), zxid_epoch(*last), *d.current_epoch),
                    "power was lost during an epoch change: restore the epoch files from the quorum");
            }
            if (d.current_epoch && d.accepted_epoch && *d.accepted_epoch < *d.current_epoch) {
                add(Severity::Error, "epoch-accepted-below-current", d.version2 / "acceptedEpoch",
                    fmt::format("acceptedEpoch {} is below currentEpoch {}; ZooKeeper will not start",
                                *d.accepted_epoch, *d.current_epoch),
                    "restore the epoch files from the quorum");
            }
        }
    }

    const VerifyOptions& m_o;
    VerifyReport& m_r;
    std::vector<DataDir> m_dirs;
    std::vector<DataFile> m_logs;
    std::vector<SnapshotState> m_snaps;
    std::vector<LogSpan> m_spans;  // of m_logs
    const SnapshotState* m_chosen = nullptr;
    std::optional<Position> m_last;
    std::optional<Position> m_first_after_snapshot;
    std::optional<std::int64_t> m_damage_zxid_hint;
    std::optional<std::size_t> m_open_damage;  // index of a damage finding awaiting the next record
    std::unique_ptr<DataTree> m_tree;
    LoadedTree m_preloaded;  // the newest snapshot's, loaded while the others are checked
    std::int64_t m_applied = 0;
    bool m_replay_stopped = false;
    std::uint64_t m_digest_mismatches = 0;
    std::uint64_t m_total_bytes = 0;
    std::uint64_t m_done_bytes = 0;
};

}  // namespace

VerifyReport verify(const std::vector<fs::path>& paths, const VerifyOptions& options) {
    VerifyReport report;
    Verifier v(options, report);
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            v.add_dir(p);
        } else if (fs::is_regular_file(p, ec)) {
            v.add_file(p);
        } else {
            Finding f;
            f.severity = Severity::Error;
            f.code = "unreadable";
            f.file = p;
            f.message = ec ? ec.message() : "no such file or directory";
            f.action = "check the path";
            report.findings.push_back(std::move(f));
            report.unreadable = true;
        }
    }
    v.run();
    return report;
}

}  // namespace zabra::zab
