#include "tools/cmd_dump.h"

#include "libformat/etcd/member_dir.h"
#include "libformat/locate/data_location.h"

#include "libformat/common/mapped_file.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/log_merge.h"
#include "libformat/zab/txn_codec.h"
#include "tools/dump/chunk_pipeline.h"
#include "tools/dump/follow_log.h"
#include "tools/progress.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <filesystem>

namespace zabra::tools {

namespace fs = std::filesystem;

namespace {

CLI::Validator zxid_validator() {
    return CLI::Validator(
        [](std::string& v) {
            return parse_zxid(v) ? std::string() : "not a zxid (0x hex, decimal, or epoch:counter): " + v;
        },
        "ZXID");
}

CLI::Validator number_validator() {
    return CLI::Validator(
        [](std::string& v) { return parse_session(v) ? std::string() : "not a number (0x hex or decimal): " + v; },
        "NUMBER");
}

}  // namespace

void setup_dump(CLI::App& app, DumpOptions& o) {
    auto* cmd = app.add_subcommand("dump", "Print ZooKeeper txn logs and snapshots, or etcd WAL and .snap files");
    cmd->footer(
        "PATH is a txn log (log.<zxid>), a snapshot (snapshot.<zxid>, plain, gzip or snappy, detected by\n"
        "content) or a data dir (its version-2 dir, the parent, or any dir holding log.* / snapshot.*). For a\n"
        "dir, every txn of its logs is printed in zxid order; --snapshot prints the newest snapshot instead.\n"
        "PATH may also be etcd data, found by content under any name: a data, member, wal or snap dir (its\n"
        "WAL segments in order, one line or JSON object per record; --snapshot: its .snap files), a *.wal or\n"
        "a *.snap. A PATH with neither system's data is a usage error (exit 2) naming where data is.\n"
        "Passwords and tokens in etcd entries are redacted unless --show-secrets.\n\n"
        "Examples:\n"
        "  zabra dump /var/lib/zookeeper\n"
        "  zabra dump --format json version-2/log.100000001 | jq -c 'select(.type==\"setData\")'\n"
        "  zabra dump --snapshot --data none /var/lib/zookeeper\n"
        "  zabra dump --entry-type IRRPut,IRRTxn --start-index 1000 /var/lib/etcd\n");
    cmd->add_option("PATH", o.paths, "Log, snapshot or data dir (ZooKeeper or etcd)")->required();
    cmd->add_option_function<std::string>(
           "-f,--format",
           [&o](const std::string& v) {
               o.format = v == "json" ? DumpFormat::Json : v == "zk" ? DumpFormat::Zk : DumpFormat::Text;
           },
           "text (readable, the default), json (JSON Lines) or zk (as ZooKeeper's TxnLogToolkit/SnapshotFormatter)")
        ->check(CLI::IsMember({"text", "json", "zk"}, CLI::ignore_case))
        ->option_text("text|json|zk");
    cmd->add_option_function<std::string>(
           "--data",
           [&o](const std::string& v) {
               o.print.data = v == "hex"    ? DataStyle::Hex
                              : v == "none" ? DataStyle::None
                              : v == "full" ? DataStyle::Full
                                            : DataStyle::Text;
           },
           "Node and txn data: text (escaped, capped; the default), hex (capped), none, full (escaped, uncapped)")
        ->check(CLI::IsMember({"text", "hex", "none", "full"}, CLI::ignore_case))
        ->option_text("text|hex|none|full");
    cmd->add_option("--data-cap", o.print.data_cap, "Bytes of data shown with --data text|hex in text output (64)")
        ->option_text("BYTES");
    cmd->add_flag_callback("--local-time", [&o] { o.print.utc = false; },
                           "Show times in the local time zone instead of UTC");
    cmd->add_flag("--snapshot", o.snapshot_only, "For a data dir: print the newest snapshot");
    cmd->add_flag("--logs", o.logs_only, "For a data dir: print the txn logs (the default)");
    cmd->parse_complete_callback([&o] {
        if (o.snapshot_only && o.logs_only) throw CLI::ValidationError("--snapshot and --logs exclude each other");
        if (o.follow && (o.paths.size() != 1 || o.snapshot_only)) {
            throw CLI::ValidationError("--follow takes one data dir or one log");
        }
    });
    cmd->add_option("-n,--limit", o.limit, "Stop after this many txns or nodes in all (0: no limit)")->option_text("N");
    cmd->add_option_function<std::string>(
           "--from", [&o](const std::string& v) { o.filter.from = parse_zxid(v); },
           "Only txns with zxid >= ZXID (hex 0x.., decimal, or epoch:counter)")
        ->check(zxid_validator())
        ->option_text("ZXID");
    cmd->add_option_function<std::string>(
           "--to", [&o](const std::string& v) { o.filter.to = parse_zxid(v); }, "Only txns with zxid <= ZXID")
        ->check(zxid_validator())
        ->option_text("ZXID");
    cmd->add_option_function<std::vector<std::string>>(
           "--epoch",
           [&o](const std::vector<std::string>& v) {
               for (const auto& e : v) o.filter.epochs.insert(static_cast<std::int64_t>(*parse_zxid(e)));
           },
           "Only txns of these epochs (comma-separated)")
        ->delimiter(',')
        ->check(number_validator())
        ->option_text("EPOCH,...");
    cmd->add_option_function<std::vector<std::string>>(
           "--session",
           [&o](const std::vector<std::string>& v) {
               for (const auto& e : v) o.filter.sessions.insert(*parse_session(e));
           },
           "Only txns of these sessions (0x.. hex as ZooKeeper prints them, or decimal)")
        ->delimiter(',')
        ->check(number_validator())
        ->option_text("ID,...");
    cmd->add_option("--path", o.filter.paths,
                    "Only txns and nodes under this path (a prefix: /app matches /app and /app/x), or matching "
                    "this glob (/app/*/lock)")
        ->option_text("PREFIX|GLOB");
    cmd->add_option_function<std::vector<std::string>>(
           "--type",
           [&o](const std::vector<std::string>& v) {
               for (const auto& e : v) o.filter.types.insert(*zab::parse_op(e));
           },
           "Only txns of these types (create,setData,...; a multi matches if one of its ops does)")
        ->delimiter(',')
        ->check(CLI::Validator(
            [](std::string& v) { return zab::parse_op(v) ? std::string() : "unknown txn type " + v; }, "TYPE"))
        ->option_text("TYPE,...");
    cmd->add_flag("-F,--follow", o.follow,
                  "After printing, wait for new txns in the newest log and print them as they come, across log "
                  "rolls, like tail -f (a data dir or one log; Ctrl-C ends it)");
    cmd->add_option("--max-record", o.max_record,
                    "Largest record or data length accepted, in bytes (0 or unset: 2097150, ZooKeeper's "
                    "jute.maxbuffer + extrasize)")
        ->option_text("BYTES");
    cmd->add_option("--start-index", o.etcd.start_index, "etcd: only entries with index >= N")
        ->option_text("N");
    cmd->add_option("--end-index", o.etcd.end_index, "etcd: only entries with index < N")->option_text("N");
    cmd->add_option_function<std::vector<std::uint64_t>>(
           "--term", [&o](const std::vector<std::uint64_t>& v) { o.etcd.terms.insert(v.begin(), v.end()); },
           "etcd: only entries of these raft terms (comma-separated)")
        ->delimiter(',')
        ->option_text("TERM,...");
    std::string type_names;
    for (const auto& n : etcd_entry_type_names()) type_names += (type_names.empty() ? "" : ", ") + n;
    cmd->add_option_function<std::vector<std::string>>(
           "--entry-type",
           [&o](const std::vector<std::string>& v) {
               for (auto e : v) {
                   std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                   o.etcd.entry_types.insert(e);
               }
           },
           "etcd: only entries of these types, as etcd-dump-logs names them: " + type_names)
        ->delimiter(',')
        ->check(CLI::IsMember(etcd_entry_type_names(), CLI::ignore_case))
        ->option_text("TYPE,...");
    cmd->add_flag("--show-secrets", o.etcd.show_secrets,
                  "etcd: print passwords, password hashes and auth tokens instead of <redacted>");
}

namespace {

enum class FileType { TxnLog, Snapshot, Unknown };

// An unknown txn type or a multi op that does not decode: ZooKeeper could
// not replay the txn.
bool has_undecodable_part(const zab::Txn& t) {
    if (std::holds_alternative<zab::RawTxn>(t.body)) return true;
    if (const auto* m = std::get_if<zab::MultiTxn>(&t.body); m != nullptr && m->ops) {
        for (const auto& op : *m->ops) {
            if (!op.decode_error.empty() || std::holds_alternative<zab::RawTxn>(op.body)) return true;
        }
    }
    return false;
}

FileType sniff(ByteSpan bytes, const fs::path& path) {
    if (bytes.size() >= 4 && load_be32(bytes.data()) == zab::kTxnLogMagic) return FileType::TxnLog;
    if (bytes.size() >= 4 && load_be32(bytes.data()) == zab::kSnapshotMagic) return FileType::Snapshot;
    if (zab::detect_compression(bytes) != zab::Compression::None) return FileType::Snapshot;
    if (auto name = zab::parse_data_file_name(path.filename().string())) {
        return name->kind == zab::FileKind::TxnLog ? FileType::TxnLog : FileType::Snapshot;
    }
    return FileType::Unknown;
}

class Dumper {
public:
    using PrinterFactory = std::function<std::unique_ptr<Printer>(std::ostream&)>;

    Dumper(const DumpOptions& o, Printer& p, PrinterFactory make_printer, std::ostream& out, std::ostream& err)
        : m_o(o), m_p(p), m_make_printer(std::move(make_printer)), m_out(out), m_err(err) {
        m_workers = o.follow ? 1 : std::min(4u, std::max(1u, std::thread::hardware_concurrency()));
    }

    bool limit_reached() const { return m_o.limit != 0 && m_count >= m_o.limit; }

    zab::TxnLogReaderOptions reader_options(const MappedFile* file = nullptr) const {
        zab::TxnLogReaderOptions ro;
        if (m_o.max_record != 0) ro.max_record = m_o.max_record;
        ro.extents = file;  // zero scans skip the preallocated hole
        return ro;
    }

    // Decodes one record and prints it through `printer` if the filters let
    // it; sets `damage` for what ZooKeeper could not replay. Returns whether
    // it counts towards --limit. Reads only options: safe on worker threads.
    bool format_record(Printer& printer, const std::string& file, const zab::TxnLogRecord& rec,
                       bool& damage) const {
        try {
            const zab::Txn t = zab::decode_txn(rec.payload, {reader_options().max_record});
            if (has_undecodable_part(t)) damage = true;
            if (!m_o.filter.matches(t)) return false;
            printer.txn(file, rec, t);
        } catch (const FormatError& e) {
            printer.undecodable(file, rec, e.what());
            damage = true;
        }
        return true;
    }

    void print_record(const std::string& file, const zab::TxnLogRecord& rec) {
        bool damage = false;
        if (format_record(m_p, file, rec, damage)) ++m_count;
        if (damage) m_outcome = Outcome::DataDamage;
    }

    void log(const fs::path& path, const MappedFile& mapped) {
        const std::string file = path.string();
        zab::TxnLogReader reader(mapped.bytes(), reader_options(&mapped));
        m_p.begin_log(file, reader);
        if (m_o.limit == 0 && m_workers > 1) return log_in_parallel(file, mapped, reader);
        zab::TxnLogRecord rec;
        std::uint64_t released = 0;
        while (!limit_reached() && reader.next(rec)) {
            if (rec.offset > released + (4u << 20)) {
                progress(rec.offset);
                mapped.release_before(rec.offset);
                released = rec.offset;
            }
            print_record(file, rec);
        }
        if (limit_reached()) return;
        m_p.end_log(file, reader.end());
        if (reader.end().kind == zab::LogEndKind::Damaged) m_outcome = Outcome::DataDamage;
    }

    // A pipeline (chunk_pipeline.h) whose chunks count towards --limit and
    // the outcome; `written(mark)` runs once a chunk is out.
    std::unique_ptr<ChunkPipeline> make_pipeline(std::function<void(std::uint64_t)> written) {
        return std::make_unique<ChunkPipeline>(
            m_out, m_make_printer, m_workers, m_spare_buffers,
            [this, written = std::move(written)](const Chunk& c, std::uint64_t mark) {
                if (c.damage) m_outcome = Outcome::DataDamage;
                m_count += c.count;
                if (written) written(mark);
            });
    }

    void log_in_parallel(const std::string& file, const MappedFile& mapped, zab::TxnLogReader& reader) {
        const auto pipeline = make_pipeline([this, &mapped](std::uint64_t end) {
            progress(end);
            mapped.release_before(end);
        });
        std::vector<zab::TxnLogRecord> batch;
        std::size_t batch_bytes = 0;
        zab::TxnLogRecord rec;
        for (bool more = true; more;) {
            more = reader.next(rec);
            if (more) {
                batch.push_back(rec);
                batch_bytes += rec.payload.size();
            }
            if (batch.size() == kChunkItems || batch_bytes >= kChunkPayloadBytes || (!more && !batch.empty())) {
                const std::uint64_t end = batch.back().offset + batch.back().size();
                pipeline->submit(
                    [this, file, records = std::move(batch)](Printer& printer, Chunk& c) {
                        for (const auto& r : records) c.count += format_record(printer, file, r, c.damage) ? 1 : 0;
                    },
                    end);
                batch = {};
                batch_bytes = 0;
            }
        }
        pipeline->drain();
        m_p.end_log(file, reader.end());
        if (reader.end().kind == zab::LogEndKind::Damaged) m_outcome = Outcome::DataDamage;
    }

    // Bytes of files in all, for the progress bar, and those finished.
    void expect_bytes(std::uint64_t n) { m_total += n; }
    void progress(std::uint64_t in_file) { m_bar.update(m_done + in_file, m_total); }

    void snapshot(const fs::path& path, const MappedFile& mapped) {
        const std::string file = path.string();
        const bool parallel = m_o.limit == 0 && m_workers > 1 && m_p.formats_nodes_alone();
        // Nodes are decoded here; with `parallel`, they are handed on in
        // chunks (copies: the reader reuses its node) to be formatted.
        struct Forward final : zab::SnapshotVisitor {
            Dumper& d;
            const std::string& file;
            std::unique_ptr<ChunkPipeline> pipeline;
            std::vector<zab::SnapshotNode> batch;
            std::size_t batch_bytes = 0;
            Forward(Dumper& dd, const std::string& f, bool parallel) : d(dd), file(f) {
                if (parallel) pipeline = dd.make_pipeline(nullptr);
            }
            void on_session(const zab::SnapshotSession& s) override { d.m_p.session(s); }
            void on_acl(const zab::SnapshotAcl& a) override { d.m_p.acl(a); }
            void on_node(const zab::SnapshotNode& n) override {
                if (d.limit_reached() || !d.m_o.filter.matches_node(n)) return;
                if (!pipeline) {
                    d.m_p.node(file, n);
                    ++d.m_count;
                    return;
                }
                batch.push_back(n);
                batch_bytes += n.path.size() + (n.data ? n.data->size() : 0);
                if (batch.size() == kChunkItems || batch_bytes >= kChunkPayloadBytes) flush();
            }
            void flush() {
                if (batch.empty()) return;
                pipeline->submit(
                    [f = file, nodes = std::move(batch)](Printer& printer, Chunk& c) {
                        for (const auto& node : nodes) printer.node(f, node);
                        c.count = nodes.size();
                    },
                    0);
                batch = {};
                batch_bytes = 0;
            }
            void finish() {
                if (!pipeline) return;
                flush();
                pipeline->drain();
            }
        } forward(*this, file, parallel);
        zab::SnapshotReadOptions ro;
        if (m_o.max_record != 0) ro.max_buffer = m_o.max_record;
        ro.on_consumed = [&mapped](std::uint64_t c) { mapped.release_before(c); };
        std::optional<std::uint64_t> count;
        if (m_p.needs_node_count()) {
            struct Count final : zab::SnapshotVisitor {
                bool wants_nodes() const override { return false; }
            } counter;
            count = zab::read_snapshot(mapped.bytes(), counter, ro).nodes;
        }
        m_p.begin_snapshot(file, count);
        const auto result = zab::read_snapshot(mapped.bytes(), forward, ro);
        forward.finish();
        m_p.end_snapshot(file, result);
        if (!result.ok()) m_outcome = Outcome::DataDamage;
    }

    void file(const fs::path& path) {
        if (limit_reached()) return;
        MappedFile mapped(path);
        struct Done {
            Dumper& d;
            std::uint64_t n;
            ~Done() { d.m_done += n; }
        } done{*this, mapped.size()};
        switch (sniff(mapped.bytes(), path)) {
        case FileType::TxnLog: return log(path, mapped);
        case FileType::Snapshot: return snapshot(path, mapped);
        case FileType::Unknown: break;
        }
        m_err << fmt::format("zabra dump: {}: not a ZooKeeper txn log or snapshot (no ZKLG/ZKSN magic, "
                             "no gzip or snappy header, name not log.* or snapshot.*)\n",
                             path.string());
        m_outcome = Outcome::BadInput;
    }

    void dir(const fs::path& path) {
        const zab::DataDir d = zab::list_data_dir(path);
        if (m_o.snapshot_only) {
            if (d.snapshots.empty()) {
                m_err << fmt::format("zabra dump: {}: no snapshot files\n", d.version2.string());
                m_outcome = Outcome::BadInput;
                return;
            }
            return file(d.snapshots.back().path);
        }
        if (d.logs.empty()) {
            m_err << fmt::format("zabra dump: {}: no txn log files\n", d.version2.string());
            m_outcome = Outcome::BadInput;
            return;
        }
        for (const auto& f : d.logs) expect_bytes(f.size);
        merged_logs(d.logs);
    }

    bool in_zxid_range(const zab::TxnLogRecord& rec) const {
        if (rec.payload.size() < zab::kTxnHeaderSize) return true;  // undecodable: printed as such
        const std::int64_t zxid = zab::decode_txn_header(rec.payload).zxid;
        return !(m_o.filter.from && zxid < *m_o.filter.from) && !(m_o.filter.to && zxid > *m_o.filter.to);
    }

    // The logs of a dir, every readable record in zxid order (see LogMerge):
    // all logs are read whatever --from says, because a log whose name lies
    // inside an older log's zxids makes ZooKeeper's choice of files by name
    // skip the older log's later txns. A log with no txn in the --from/--to
    // range is not shown unless it ends damaged.
    void merged_logs(const std::vector<zab::DataFile>& logs) {
        zab::LogMerge merge(logs, reader_options());
        struct Queued {
            const zab::MergeSource* source;
            zab::TxnLogRecord record;
        };
        // What each chunk in flight lets go of once written: where it ends in each log.
        std::deque<std::vector<std::pair<const MappedFile*, std::uint64_t>>> releases;
        std::uint64_t chunks = 0;
        std::unique_ptr<ChunkPipeline> pipeline;
        if (m_o.limit == 0 && m_workers > 1) {
            pipeline = make_pipeline([this, &releases](std::uint64_t) {
                for (const auto& [mapped, end] : releases.front()) {
                    mapped->release_before(end);
                    progress(end);
                }
                releases.pop_front();
            });
        }
        std::vector<Queued> batch;
        std::size_t batch_bytes = 0;
        auto flush = [&] {
            if (!pipeline || batch.empty()) return;
            std::vector<std::pair<const MappedFile*, std::uint64_t>> ends;
            for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
                const MappedFile* m = it->source->mapped.get();
                if (std::none_of(ends.begin(), ends.end(), [m](const auto& e) { return e.first == m; })) {
                    ends.emplace_back(m, it->record.offset + it->record.size());
                }
            }
            releases.push_back(std::move(ends));
            pipeline->submit(
                [this, records = std::move(batch)](Printer& printer, Chunk& c) {
                    for (const auto& q : records) {
                        c.count += format_record(printer, q.source->path, q.record, c.damage) ? 1 : 0;
                    }
                },
                chunks++);
            batch = {};
            batch_bytes = 0;
        };
        // Printer calls outside chunks go out after what is in flight.
        auto settle = [&] {
            flush();
            if (pipeline) pipeline->drain();
        };
        std::vector<const zab::MergeSource*> begun;
        auto begin = [&](const zab::MergeSource& s) {
            if (std::find(begun.begin(), begun.end(), &s) != begun.end()) return;
            settle();
            m_p.begin_log(s.path, *s.reader);
            begun.push_back(&s);
        };
        zab::LogMerge::Event ev;
        while (!limit_reached() && merge.next(ev)) {
            if (ev.ended) {
                const zab::MergeSource& s = *ev.ended;
                const zab::LogEnd& end = s.reader->end();
                const bool shown = std::find(begun.begin(), begun.end(), &s) != begun.end();
                if (shown || s.records == 0 || end.kind != zab::LogEndKind::Clean) {
                    begin(s);
                    settle();
                    m_p.end_log(s.path, end);
                }
                if (end.kind == zab::LogEndKind::Damaged) m_outcome = Outcome::DataDamage;
                if (s.past_next_name > 0) note_past_next_name(s, logs[s.index + 1]);
                std::erase(begun, &s);
                m_done += s.file.size;
                continue;
            }
            const zab::MergeSource& s = *ev.source;
            if (!in_zxid_range(s.record)) continue;
            begin(s);
            if (!pipeline) {
                if (s.record.offset % (4u << 20) < s.record.size()) {
                    progress(s.record.offset);
                    s.mapped->release_before(s.record.offset);
                }
                print_record(s.path, s.record);
                continue;
            }
            batch.push_back({&s, s.record});
            batch_bytes += s.record.payload.size();
            if (batch.size() == kChunkItems || batch_bytes >= kChunkPayloadBytes) flush();
        }
        settle();
    }

    // Where ZooKeeper would not read what was just printed: it chooses the
    // logs to read from a zxid by name (the newest log named below it, and
    // every later one), so a log's txns past the next log's name are read
    // only when it starts below that name.
    void note_past_next_name(const zab::MergeSource& s, const zab::DataFile& next) {
        m_err << fmt::format(
            "zabra dump: note: {} holds {} txn(s) ({}..{}) past the name of {}: ZooKeeper, reading from a zxid above "
            "{} (a restore from a snapshot there, a learner synced from there), starts at {} or a later log and "
            "does not read them from this log (zabra verify tells whether a later log holds them)\n",
            s.path, s.past_next_name, zab::zxid_hex(s.past_first), zab::zxid_hex(s.past_last),
            next.path.filename().string(), zab::zxid_hex(*s.next_name), next.path.filename().string());
    }

    // --follow (follow_log.h), through this dumper's printer and --limit.
    void follow(const fs::path& current, const fs::path& dir) {
        FollowOptions fo;
        fo.reader = reader_options();
        fo.poll = std::chrono::milliseconds(m_o.follow_poll_ms);
        fo.idle_exit = std::chrono::milliseconds(m_o.follow_idle_exit_ms);
        FollowSink sink;
        sink.begin_log = [this](const std::string& file, const zab::TxnLogReader& r) { m_p.begin_log(file, r); };
        sink.record = [this](const std::string& file, const zab::TxnLogRecord& rec) { print_record(file, rec); };
        sink.done = [this] { return limit_reached(); };
        sink.flush = [this] { m_out.flush(); };
        follow_log(current, dir, fo, sink);
    }

    Outcome outcome() const { return m_outcome; }
    void set_outcome(Outcome o) { m_outcome = o; }

private:
    const DumpOptions& m_o;
    Printer& m_p;
    PrinterFactory m_make_printer;
    std::vector<std::string> m_spare_buffers;  // of parallel chunks, reused across files
    unsigned m_workers = 1;
    std::ostream& m_out;
    std::ostream& m_err;
    std::uint64_t m_count = 0;
    Outcome m_outcome = Outcome::Ok;
    Progress m_bar{"dump"};
    std::uint64_t m_total = 0;
    std::uint64_t m_done = 0;
};

}  // namespace

Outcome run_dump(const DumpOptions& o, std::ostream& out, std::ostream& err) {
    auto make_printer = [&o](std::ostream& to) -> std::unique_ptr<Printer> {
        switch (o.format) {
        case DumpFormat::Json: return make_json_printer(to, o.print);
        case DumpFormat::Zk: return make_zk_printer(to, o.print);
        case DumpFormat::Text: break;
        }
        return make_text_printer(to, o.print);
    };
    const std::unique_ptr<Printer> printer = make_printer(out);
    Dumper d(o, *printer, make_printer, out, err);
    Outcome worst = Outcome::Ok;
    EtcdDumpOptions etcd_options = o.etcd;
    etcd_options.json = o.format == DumpFormat::Json;
    etcd_options.print = o.print;
    etcd_options.limit = o.limit;
    etcd_options.snap_files = o.snapshot_only;
    for (const auto& p : o.paths) {
        try {
            const locate::DataLocation where = locate::locate_data(p);
            if (where.system == locate::DataSystem::Etcd) {
                if (o.format == DumpFormat::Zk || o.follow || !o.filter.empty()) {
                    err << fmt::format("zabra dump: {}: etcd data: --format zk, --follow and the ZooKeeper filters "
                                       "(--from, --to, --epoch, --session, --path, --type) do not apply\n", p);
                    worst = tools::worst(worst, Outcome::Usage);
                    continue;
                }
                worst = tools::worst(worst, dump_etcd(p, etcd_options, out, err));
                continue;
            }
            if (where.is_dir) {
                d.dir(p);
            } else {
                d.file(p);
            }
        } catch (const locate::NotDataError& e) {
            err << fmt::format("zabra dump: {}\n", e.what());
            worst = Outcome::Usage;
            continue;
        } catch (const std::exception& e) {
            err << fmt::format("zabra dump: {}\n", e.what());
            d.set_outcome(Outcome::BadInput);
        }
        worst = tools::worst(worst, d.outcome());
    }
    if (o.follow && worst != Outcome::BadInput && worst != Outcome::Usage) {
        try {
            const fs::path p = o.paths.back();
            if (fs::is_directory(p)) {
                const zab::DataDir dd = zab::list_data_dir(p);
                if (!dd.logs.empty()) d.follow(dd.logs.back().path, p);
            } else {
                d.follow(p, {});
            }
        } catch (const std::exception& e) {
            err << fmt::format("zabra dump --follow: {}\n", e.what());
            worst = Outcome::BadInput;
        }
    }
    out.flush();
    return worst;
}

}  // namespace zabra::tools
