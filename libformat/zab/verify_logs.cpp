// Verifier: the txn logs record by record, their damage, and the continuity
// of zxids across them (verifier.h).
#include "libformat/zab/verifier.h"

#include <fmt/format.h>

#include <algorithm>

namespace zabra::zab::verify_detail {

namespace {

std::string zxid_range(std::int64_t a, std::int64_t b) {
    return a == b ? "zxid " + zxid_hex(a) : fmt::format("zxids {}..{}", zxid_hex(a), zxid_hex(b));
}

}  // namespace

void Verifier::check_log(const DataFile& f, bool newest, LogSpan& span) {
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

void Verifier::bad_header(const DataFile& f, const TxnLogReader& reader, bool newest) {
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
std::optional<TxnHeader> Verifier::record(const DataFile& f, const TxnLogRecord& rec, bool replay) {
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

void Verifier::damaged(const DataFile& f, TxnLogReader& reader, const LogEnd& end, bool newest) {
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

void Verifier::follow(std::int64_t zxid, const DataFile& f, const TxnLogRecord& rec) {
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
void Verifier::check_overlaps() {
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

void Verifier::check_coverage() {
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

}  // namespace zabra::zab::verify_detail
