// zab::verify: gathers the inputs and runs the Verifier (verifier.h).
#include "libformat/zab/verify.h"

#include "libformat/zab/verifier.h"

#include <fmt/format.h>

#include <algorithm>

namespace zabra::zab {

namespace verify_detail {

void Verifier::add_dir(const fs::path& path) {
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

void Verifier::add_file(const fs::path& path) {
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

void Verifier::run() {
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

void Verifier::progress(std::uint64_t bytes) {
    m_done_bytes += bytes;
    if (m_o.on_progress) m_o.on_progress(m_done_bytes, m_total_bytes);
}

Finding& Verifier::add(Severity sev, std::string code, const fs::path& file, std::string message,
                       std::string action) {
    return m_r.add(sev, std::move(code), file, std::move(message), std::move(action));
}

// Maps a file, or reports why it cannot be read (and returns null).
std::unique_ptr<MappedFile> Verifier::open(const fs::path& path) {
    try {
        return std::make_unique<MappedFile>(path);
    } catch (const std::exception& e) {
        add(Severity::Error, "unreadable", path, e.what(), "check permissions and the disk");
        m_r.unreadable = true;
        return nullptr;
    }
}

void Verifier::check_names() {
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

}  // namespace verify_detail

VerifyReport verify(const std::vector<std::filesystem::path>& paths, const VerifyOptions& options) {
    VerifyReport report;
    verify_detail::Verifier v(options, report);
    namespace fs = std::filesystem;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            v.add_dir(p);
        } else if (fs::is_regular_file(p, ec)) {
            v.add_file(p);
        } else {
            report.add(Severity::Error, "unreadable", p, ec ? ec.message() : "no such file or directory",
                       "check the path");
            report.unreadable = true;
        }
    }
    v.run();
    return report;
}


}  // namespace zabra::zab
