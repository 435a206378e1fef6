#include "libformat/etcd/wal_verify.h"

#include "libformat/common/error.h"
#include "libformat/common/mapped_file.h"
#include "libformat/etcd/raft_records.h"
#include "libformat/etcd/request.h"
#include "libformat/etcd/wal_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace zabra::etcd {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxReportedPerCode = 20;  // overwrites, undecodable records: the rest are counted

struct Gap {
    std::uint64_t first_missing, last_missing;
    std::size_t segment;
    WalFrame frame;
    std::uint64_t term;
};

struct Hidden {
    std::uint64_t records = 0, entries = 0;
    std::optional<std::uint64_t> first_index, last_index;
};

// Frames after damage, read without the chain: what etcd would never see.
Hidden count_hidden(const fs::path& file, std::uint64_t from) {
    Hidden h;
    try {
        MappedFile m(file);
        WalReaderOptions o;
        o.verify_crc = false;
        o.start = from;
        o.extents = &m;
        WalReader r(m.bytes(), o);
        WalFrame f;
        while (r.next(f)) {
            ++h.records;
            if (f.type != static_cast<std::uint64_t>(RecordType::Entry)) continue;
            try {
                const Entry e = decode_entry(f.data, f.data_offset);
                ++h.entries;
                if (!h.first_index) h.first_index = e.index;
                h.last_index = e.index;
            } catch (const FormatError&) {
            }
        }
    } catch (const std::exception&) {
    }
    return h;
}

std::string describe(const Hidden& h) {
    if (h.records == 0) return "no well-formed frame after it";
    std::string s = fmt::format("{} well-formed record{} after it", h.records, h.records == 1 ? "" : "s");
    if (h.entries) s += fmt::format(" ({} entr{}, index {}..{})", h.entries, h.entries == 1 ? "y" : "ies", *h.first_index, *h.last_index);
    return s;
}

class Checker {
public:
    Checker(VerifyReport& r, std::vector<SegmentFile> segments, std::vector<SnapFileEntry> snaps)
        : m_r(r), m_segments(std::move(segments)), m_snaps(std::move(snaps)) {}

    void run() {
        ++m_r.stats.etcd_members;
        m_r.stats.first_index.reset();
        m_r.stats.last_index.reset();
        m_r.stats.commit.reset();
        m_r.stats.etcd_snap.reset();
        check_names();
        walk();
        check_hard_state();
        check_snaps();
        check_start();
    }

private:
    Finding& add(Severity s, std::string code, const fs::path& file, std::string msg, std::string action) {
        return m_r.add(s, std::move(code), file, std::move(msg), std::move(action));
    }
    Finding& at_frame(Finding& f, const WalFrame& fr) {
        f.offset = fr.offset;
        f.record = fr.index;
        return f;
    }
    bool under_cap(const std::string& code) { return ++m_per_code[code] <= kMaxReportedPerCode; }

    void check_names() {
        for (std::size_t i = 1; i < m_segments.size(); ++i) {
            const auto& a = m_segments[i - 1].name;
            const auto& b = m_segments[i].name;
            if (b.seq != a.seq + 1) {
                add(Severity::Error, "wal-seq-gap", m_segments[i].path,
                    fmt::format("segment sequence jumps from {} to {}: a segment is missing; etcd will not start "
                                "(wal: file not found)", a.seq, b.seq),
                    "restore the missing segment, or replace this member (remove it from the cluster and add it back)");
            }
        }
        if (!m_segments.empty() && m_segments.front().name.seq != 0) {
            add(Severity::Info, "wal-purged-start", m_segments.front().path,
                fmt::format("the oldest segment has sequence {}: older ones were purged (normal; --max-wals)",
                            m_segments.front().name.seq),
                "none");
        }
    }

    void on_entry(const WalLogRecord& rec, const Entry& e) {
        ++m_r.stats.entries;
        if (!m_r.stats.first_index) m_r.stats.first_index = e.index;
        if (!m_last) {
            append(e);
            return;
        }
        if (e.index == *m_last + 1) {
            if (e.term < m_last_term && under_cap("wal-term-backwards")) {
                at_frame(add(Severity::Error, "wal-term-backwards", m_segments[rec.segment].path,
                             fmt::format("entry {} has term {}, below the term {} of the entry before it", e.index, e.term, m_last_term),
                             "replace this member; raft never writes a lower term after a higher one"),
                         rec.frame).index = e.index;
            }
            append(e);
            return;
        }
        if (e.index <= *m_last) {
            // A new leader replaced the uncommitted tail: normal, unless committed entries go.
            if (e.index <= m_commit) {
                if (under_cap("wal-committed-overwritten")) {
                    Finding& f = add(Severity::Error, "wal-committed-overwritten", m_segments[rec.segment].path,
                                     fmt::format("entry {} (term {}) replaces an entry at or below the commit index {}: "
                                                 "committed entries changed", e.index, e.term, m_commit),
                                     "replace this member: its log disagrees with what the cluster committed");
                    at_frame(f, rec.frame).index = e.index;
                    f.term = e.term;
                }
            } else if (under_cap("wal-overwrite")) {
                Finding& f = add(Severity::Info, "wal-overwrite", m_segments[rec.segment].path,
                                 fmt::format("entry {} (term {}) replaces {} uncommitted entr{} from index {} (a new "
                                             "leader's log won; normal)", e.index, e.term, *m_last - e.index + 1,
                                             *m_last - e.index + 1 == 1 ? "y" : "ies", e.index),
                                 "none");
                at_frame(f, rec.frame).index = e.index;
                f.term = e.term;
            }
            m_last = e.index - 1;
            append(e);
            return;
        }
        if (m_gaps.size() < kMaxReportedPerCode) {
            m_gaps.push_back({*m_last + 1, e.index - 1, rec.segment, rec.frame, e.term});
        }
        m_last.reset();
        append(e);
    }

    // etcd panics applying an entry that is neither an InternalRaftRequest
    // nor a v2 Request (nor a conf change of its type).
    void check_payload(const WalLogRecord& rec, const Entry& e) {
        if (e.data.empty() && e.type == 0) return;
        const RequestSummary s = summarize_entry(e.type, e.data);
        if (s.kind != PayloadKind::Unknown || !under_cap("wal-entry-undecodable")) return;
        Finding& f = add(Severity::Error, "wal-entry-undecodable", m_segments[rec.segment].path,
                         fmt::format("entry {} ({}) has a crc that matches but data etcd cannot apply: {}", e.index,
                                     entry_type_name(e.type), s.error),
                         "replace this member: etcd panics when it applies this entry");
        at_frame(f, rec.frame).index = e.index;
        f.term = e.term;
    }

    void append(const Entry& e) {
        m_last = e.index;
        m_last_term = e.term;
        m_r.stats.last_index = e.index;
    }

    void walk() {
        WalLogReader reader(m_segments);
        // While the walk is there, so the finding names the last good entry.
        reader.on_segment_end = [this](const SegmentEnd& se) { end_of_segment(se); };
        WalLogRecord rec;
        while (reader.next(rec)) {
            const WalFrame& fr = rec.frame;
            const fs::path& file = m_segments[rec.segment].path;
            ++m_r.stats.wal_records;
            m_r.stats.wal_bytes += fr.size;
            try {
                switch (fr.type) {
                case 1: {
                    const std::string bytes(as_chars(fr.data));
                    decode_metadata(fr.data, fr.data_offset);
                    if (!m_metadata) {
                        m_metadata = bytes;
                    } else if (*m_metadata != bytes && under_cap("wal-metadata-conflict")) {
                        at_frame(add(Severity::Error, "wal-metadata-conflict", file,
                                     "this metadata record (member and cluster id) differs from the first one; etcd "
                                     "will not start (wal: conflicting metadata found)",
                                     "segments of different members were mixed: restore this member's own files"),
                                 fr);
                    }
                    break;
                }
                case 2: {
                    const Entry e = decode_entry(fr.data, fr.data_offset);
                    on_entry(rec, e);
                    check_payload(rec, e);
                    break;
                }
                case 3: {
                    const HardState h = decode_hard_state(fr.data, fr.data_offset);
                    if (h.commit < m_commit && under_cap("wal-commit-decreased")) {
                        at_frame(add(Severity::Warning, "wal-commit-decreased", file,
                                     fmt::format("HardState commit goes back from {} to {}", m_commit, h.commit),
                                     "none; raft never lowers its commit index, so check where this segment came from"),
                                 fr);
                    }
                    m_commit = h.commit;
                    m_hard_state = h;
                    m_hard_state_at = {rec.segment, fr};
                    break;
                }
                case 4: break;
                case 5: {
                    const WalSnapshot s = decode_wal_snapshot(fr.data, fr.data_offset);
                    m_snapshot_records.push_back({s.index, s.term});
                    break;
                }
                default:
                    if (!under_cap("wal-unknown-record-type")) break;
                    at_frame(add(Severity::Error, "wal-unknown-record-type", file,
                                 fmt::format("record type {} is none of 1-5; etcd will not start (unexpected block type {})",
                                             fr.type, fr.type),
                                 "replace this member"),
                             fr);
                }
            } catch (const FormatError& e) {
                if (under_cap("wal-record-undecodable")) {
                    at_frame(add(Severity::Error, "wal-record-undecodable", file,
                                 fmt::format("{} record's crc matches but its payload does not decode: {}",
                                             record_type_name(fr.type), e.what()),
                                 "replace this member"),
                             fr);
                }
            }
        }
        m_r.stats.wal_segments += m_segments.size();
    }

    void end_of_segment(const SegmentEnd& se) {
        const SegmentFile& seg = m_segments[se.segment];
        const bool last = se.segment + 1 == m_segments.size();
        if (se.open_error) {
            add(Severity::Error, "unreadable", seg.path, *se.open_error, "check permissions and the disk");
            m_r.unreadable = true;
            return;
        }
        const WalEnd& end = se.end;
        auto place = [&](Finding& f) -> Finding& {
            f.offset = end.offset;
            f.record = end.records;
            return f;
        };
        const Hidden hidden = end.resume_offset ? count_hidden(seg.path, *end.resume_offset) : Hidden{};
        if (end.kind == WalEndKind::Clean) {
            if (end.cause == WalEndCause::ZeroLength && end.nonzero_bytes_after > 0) {
                place(add(hidden.records ? Severity::Error : Severity::Warning, "wal-hidden-records", seg.path,
                          fmt::format("a zero length word ends the data here, but {} non-zero bytes follow: {}; etcd "
                                      "{}", end.nonzero_bytes_after, describe(hidden),
                                      last ? "zeroes them when it starts" : "skips the rest of this segment"),
                          "copy the segment aside before starting etcd; then compare with a healthy member"));
            } else if (end.cause == WalEndCause::ZeroLength && !last) {
                place(add(Severity::Warning, "wal-segment-not-truncated", seg.path,
                          "a finished segment still has its zero fill: etcd truncates a segment when it cuts the next one",
                          "none, if the next segment goes on at the next index"));
            }
            return;
        }
        if (end.kind == WalEndKind::TornTail) {
            Finding& f = place(add(hidden.entries ? Severity::Error : Severity::Warning,
                                   hidden.entries ? "wal-torn-with-records-after" : "wal-torn-tail", seg.path,
                                   fmt::format("{}; etcd's repair will cut the segment here (keeping a .broken copy){}",
                                               end.detail,
                                               hidden.records ? fmt::format(", dropping {}", describe(hidden)) : ""),
                                   hidden.entries ? "do not start etcd on this copy: save the segment, then resync "
                                                    "this member from the cluster"
                                                  : "none: a torn last write after a crash; the entry was never "
                                                    "acknowledged unless it is on a quorum"));
            if (m_last) f.index = *m_last;
            return;
        }
        std::string code;
        switch (end.cause) {
        case WalEndCause::CrcMismatch: code = "wal-crc-mismatch"; break;
        case WalEndCause::CrcRecordMismatch: code = "wal-chain-broken"; break;
        case WalEndCause::LengthOverLimit: code = "wal-length-over-limit"; break;
        case WalEndCause::BadRecord: code = "wal-bad-record"; break;
        default: code = "wal-truncated"; break;
        }
        Finding& f = place(add(Severity::Error, code, seg.path,
                               fmt::format("{}; {}; etcd will not start ({})", end.detail, describe(hidden),
                                           last ? "not a torn write, so its repair refuses" : "damage before the last segment cannot be repaired"),
                               "replace this member (remove it from the cluster, wipe it, add it back) or restore "
                               "from a backup; do not restamp checksums"));
        if (m_last) f.index = *m_last;
        if (!se.chain_known) f.message += " (read after earlier damage: the chain was re-seeded)";
    }

    void check_hard_state() {
        m_r.stats.commit = m_hard_state ? std::optional(m_hard_state->commit) : std::nullopt;
        if (!m_hard_state || !m_last) return;
        if (m_hard_state->commit > *m_last) {
            Finding& f = add(Severity::Error, "wal-commit-beyond-last", m_segments[m_hard_state_at.first].path,
                             fmt::format("the last HardState says index {} is committed, but the log ends at {}: etcd "
                                         "panics at start (state.commit {} is out of range)",
                                         m_hard_state->commit, *m_last, m_hard_state->commit),
                             "entries this member acknowledged are lost: replace it from the cluster");
            at_frame(f, m_hard_state_at.second);
        }
    }

    void check_snaps() {
        for (const SnapFileEntry& s : m_snaps) {
            try {
                MappedFile m(s.path);
                const SnapFile snap = decode_snap_file(m.bytes());
                if (!snap.crc_ok()) {
                    add(Severity::Error, "snap-crc-mismatch", s.path,
                        fmt::format("crc stored {:#010x}, computed {:#010x}; etcd renames it .broken and falls back "
                                    "to an older one", snap.crc, snap.computed_crc),
                        "none needed if an older .snap is intact; keep the file for analysis");
                    continue;
                }
                if (snap.index != s.name.index || snap.term != s.name.term) {
                    add(Severity::Warning, "snap-name-mismatch", s.path,
                        fmt::format("holds term {} index {}, not what its name says", snap.term, snap.index),
                        "none; etcd goes by the content");
                }
                ++m_r.stats.snap_files;
                m_good_snaps.push_back({snap.term, snap.index, s.path});
            } catch (const FormatError& e) {
                add(Severity::Error, "snap-undecodable", s.path,
                    fmt::format("{}; etcd renames it .broken and falls back to an older one", e.what()),
                    "none needed if an older .snap is intact");
            } catch (const std::exception& e) {
                add(Severity::Error, "unreadable", s.path, e.what(), "check permissions and the disk");
                m_r.unreadable = true;
            }
        }
    }

    // Where etcd would start (doc/etcd-wal.md §7): the newest intact .snap matching a WAL
    // snapshot record at or below the commit index; then the WAL from there.
    void check_start() {
        if (m_segments.empty()) return;
        const std::uint64_t commit = m_hard_state ? m_hard_state->commit : 0;
        std::optional<std::pair<std::uint64_t, std::uint64_t>> start;  // term, index
        for (auto it = m_good_snaps.rbegin(); it != m_good_snaps.rend() && !start; ++it) {
            // Named copies: clang 14 cannot capture structured bindings.
            const std::uint64_t term = std::get<0>(*it), index = std::get<1>(*it);
            const fs::path& path = std::get<2>(*it);
            const bool in_wal = std::any_of(m_snapshot_records.begin(), m_snapshot_records.end(),
                                            [&](const auto& p) { return p.first == index && p.second == term; });
            if (in_wal && index <= commit) {
                start = {term, index};
                m_r.stats.etcd_snap = path;
            } else {
                add(Severity::Info, "snap-not-usable", path,
                    in_wal ? fmt::format("index {} is above the commit index {}: etcd skips it", index, commit)
                           : "no WAL snapshot record matches it: etcd skips it",
                    "none");
            }
        }
        if (!start) start = {0, 0};
        const std::uint64_t s_index = start->second;
        const bool record_found = std::any_of(m_snapshot_records.begin(), m_snapshot_records.end(), [&](const auto& p) {
            return p.first == s_index && p.second == start->first;
        });
        const bool file_found = std::any_of(m_segments.begin(), m_segments.end(),
                                            [&](const SegmentFile& f) { return f.name.index <= s_index; });
        if (!file_found || !record_found) {
            add(Severity::Error, "wal-no-start", m_segments.front().path,
                fmt::format("etcd starts from snapshot index {} but {}: it will not start ({})", s_index,
                            !file_found ? "no segment starts at or before it" : "no WAL snapshot record has it",
                            !file_found ? "wal: file not found" : "wal: snapshot not found"),
                "restore the missing segments or .snap files, or replace this member");
        }
        for (const Gap& g : m_gaps) {
            const bool before_start = g.last_missing <= s_index;
            Finding& f = add(before_start ? Severity::Info : Severity::Error, before_start ? "wal-gap-before-start" : "wal-index-gap",
                             m_segments[g.segment].path,
                             fmt::format("entries {}..{} are missing before entry {}{}", g.first_missing, g.last_missing,
                                         g.last_missing + 1,
                                         before_start ? fmt::format(": etcd starts after them, from snapshot index {}", s_index)
                                                      : ": etcd will not start (wal: slice bounds out of range)"),
                             before_start ? "none" : "restore the missing segment, or replace this member");
            at_frame(f, g.frame).index = g.last_missing + 1;
            f.term = g.term;
        }
    }

    VerifyReport& m_r;
    std::vector<SegmentFile> m_segments;
    std::vector<SnapFileEntry> m_snaps;
    std::map<std::string, std::size_t> m_per_code;
    std::optional<std::string> m_metadata;
    std::optional<std::uint64_t> m_last;
    std::uint64_t m_last_term = 0;
    std::uint64_t m_commit = 0;
    std::optional<HardState> m_hard_state;
    std::pair<std::size_t, WalFrame> m_hard_state_at;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> m_snapshot_records;  // index, term
    std::vector<Gap> m_gaps;  // classified once the start snapshot is known
    std::vector<std::tuple<std::uint64_t, std::uint64_t, fs::path>> m_good_snaps;  // term, index, path
};

void check_leftovers(const MemberDir& m, VerifyReport& r) {
    for (const auto& p : m.tmp_files) {
        r.add(Severity::Info, "wal-tmp-leftover", p,
              "a spare segment (etcd keeps one preallocated; left behind by a kill) or an interrupted cut; etcd ignores it",
              "none");
    }
    for (const auto& p : m.broken_files) {
        r.add(Severity::Warning, "broken-file", p,
              "left by etcd's repair or by a .snap it could not load: data was dropped here once",
              "keep it until you know what was lost; compare with `zabra dump` of it");
    }
    for (const auto& p : m.db_tmp) {
        r.add(Severity::Warning, "db-tmp-leftover", p, "left by an interrupted defragmentation", "remove it once etcd runs");
    }
    for (const auto& p : m.unknown) {
        r.add(Severity::Warning, "name-unknown", p, "a name etcd does not parse: it ignores this file",
              "move it out of the member dir");
    }
    if (!m.snap_dir.empty() && !m.db) {
        r.add(Severity::Warning, "db-missing", m.snap_dir, "no snap/db: the key-value store is missing",
              "restore it, or replace this member");
    }
}

}  // namespace

void verify_member(const MemberDir& member, VerifyReport& report) {
    if (member.segments.empty()) {
        report.add(Severity::Error, "wal-missing", member.wal_dir.empty() ? member.snap_dir : member.wal_dir,
                   "no WAL segment: etcd will not start (wal: file not found)",
                   "give the member's data dir, or --wal-dir's directory; restore the WAL or replace this member");
    }
    check_leftovers(member, report);
    Checker(report, member.segments, member.snaps).run();
}

void verify_etcd_files(const std::vector<fs::path>& files, VerifyReport& report) {
    std::vector<SegmentFile> segments;
    std::vector<SnapFileEntry> snaps;
    std::uint64_t seq = 0;
    for (const auto& p : files) {
        std::error_code ec;
        const std::string n = p.filename().string();
        if (const auto s = parse_snap_name(n)) {
            snaps.push_back({p, *s, fs::file_size(p, ec)});
        } else if (n.ends_with(".snap")) {
            snaps.push_back({p, {}, fs::file_size(p, ec)});
        } else {
            const auto name = parse_segment_name(n);
            segments.push_back({p, name.value_or(SegmentName{seq, 0}), fs::file_size(p, ec)});
        }
        ++seq;
    }
    Checker(report, std::move(segments), std::move(snaps)).run();
}

}  // namespace zabra::etcd
