// The offline checker behind zab::verify (verify.h), one class whose
// sections live in their own files: verify.cpp (inputs, names, the run),
// verify_snapshots.cpp, verify_logs.cpp (records, damage, continuity,
// overlaps) and verify_replay.cpp (replay against digests, epochs).
// Internal to those files.
#pragma once

#include "libformat/common/mapped_file.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/data_tree.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/verify.h"
#include "libformat/zab/verify_log_set.h"

#include <memory>
#include <optional>
#include <vector>

namespace zabra::zab::verify_detail {

namespace fs = std::filesystem;

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

struct Position {
    std::int64_t zxid;
    const DataFile* file;  // m_logs does not change while logs are read
    std::uint64_t offset;
    std::uint64_t record;
};

class Verifier {
public:
    Verifier(const VerifyOptions& options, VerifyReport& report) : m_o(options), m_r(report) {}

    void add_dir(const fs::path& path);
    void add_file(const fs::path& path);
    void run();

private:
    void progress(std::uint64_t bytes);
    Finding& add(Severity sev, std::string code, const fs::path& file, std::string message, std::string action);

    // Maps a file, or reports why it cannot be read (and returns null).
    std::unique_ptr<MappedFile> open(const fs::path& path);
    void check_names();

    // ------------------------------------------------------------- snapshots

    // Checks one snapshot as ZooKeeper would before loading it, and more.
    // Touches nothing but `s`: snapshots are checked on two threads.
    void check_snapshot(SnapshotState& s) const;

    // Snapshots are checked oldest first, the newest on this thread and the
    // others on a second core; meanwhile, when the newest passes, its tree is
    // loaded for replay, as it is nearly always the one ZooKeeper chooses.
    void check_snapshots();

    // What replaying the logs after `zxid` needs from the tree: a first,
    // cheap pass over the logs (only txns after the snapshot are decoded).
    WorkingSet working_set_after(std::int64_t zxid) const;

    LoadedTree load_tree(const SnapshotState& snap) const;

    void choose_snapshot();

    // ------------------------------------------------------------------ logs

    void check_log(const DataFile& f, bool newest, LogSpan& span);
    void bad_header(const DataFile& f, const TxnLogReader& reader, bool newest);

    // Checks one record; feeds continuity and replay. Only txns that are
    // replayed are decoded in full.
    std::optional<TxnHeader> record(const DataFile& f, const TxnLogRecord& rec, bool replay = true);
    void damaged(const DataFile& f, TxnLogReader& reader, const LogEnd& end, bool newest);

    // ------------------------------------------------------------ continuity

    void follow(std::int64_t zxid, const DataFile& f, const TxnLogRecord& rec);

    // Logs named inside an older log's zxids (verify_log_set.h). The step back
    // in zxid that reading them in name order shows is part of that finding.
    void check_overlaps();
    void check_coverage();

    // ---------------------------------------------------------------- replay

    void apply(const Txn& t, const DataFile& f, const TxnLogRecord& rec);
    void finish_replay();

    // ---------------------------------------------------------------- epochs

    void check_epochs();
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

}  // namespace zabra::zab::verify_detail
