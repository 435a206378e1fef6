// Verifier: the snapshots, and the one ZooKeeper would load (verifier.h).
#include "libformat/zab/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>

namespace zabra::zab::verify_detail {

namespace {

// The last bytes of a snapshot ZooKeeper finished writing.
constexpr std::uint8_t kSealTail[5] = {0, 0, 0, 1, '/'};

}  // namespace

// Checks one snapshot as ZooKeeper would before loading it, and more.
// Touches nothing but `s`: snapshots are checked on two threads.
void Verifier::check_snapshot(SnapshotState& s) const {
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
void Verifier::check_snapshots() {
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
WorkingSet Verifier::working_set_after(std::int64_t zxid) const {
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

LoadedTree Verifier::load_tree(const SnapshotState& snap) const {
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

void Verifier::choose_snapshot() {
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

}  // namespace zabra::zab::verify_detail
