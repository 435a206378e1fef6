#include "tools/dump/etcd_dump.h"

#include "libformat/common/error.h"
#include "libformat/common/mapped_file.h"
#include "libformat/etcd/member_dir.h"
#include "libformat/etcd/wal_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace zabra::tools {

namespace fs = std::filesystem;

const std::vector<std::string>& etcd_entry_type_names() {
    static const std::vector<std::string> names{
        "ConfigChange", "Normal",         "Request",        "InternalRaftRequest", "IRRRange",       "IRRPut",
        "IRRDeleteRange", "IRRTxn",       "IRRCompaction",  "IRRLeaseGrant",       "IRRLeaseRevoke", "IRRLeaseCheckpoint"};
    return names;
}

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

class EtcdDumper {
public:
    EtcdDumper(const EtcdDumpOptions& o, std::ostream& out)
        : m_o(o), m_p(o.json ? make_etcd_json_printer(out, o.print) : make_etcd_text_printer(out, o.print)) {}

    Outcome outcome() const { return m_outcome; }

    void wal(const std::vector<etcd::SegmentFile>& segments) {
        etcd::WalLogReader reader(segments);
        reader.on_segment_end = [this, &reader](const etcd::SegmentEnd& se) {
            const std::string file = reader.segments()[se.segment].path.string();
            if (se.open_error) {
                m_p->segment_error(file, *se.open_error);
                m_outcome = Outcome::BadInput;
                return;
            }
            m_p->end_segment(file, se.end);
            if (se.end.kind == etcd::WalEndKind::Damaged) m_outcome = worse(Outcome::DataDamage);
        };
        etcd::WalLogRecord rec;
        std::size_t begun = SIZE_MAX;
        while (!limit_reached() && reader.next(rec)) {
            const etcd::SegmentFile& seg = segments[rec.segment];
            const std::string file = seg.path.string();
            if (begun != rec.segment) {
                begun = rec.segment;
                if (!m_o.json) m_p->begin_segment(file, seg.name);
            }
            record(file, rec.frame);
        }
    }

    void snaps(const std::vector<etcd::SnapFileEntry>& snaps) {
        for (const auto& s : snaps) {
            if (limit_reached()) return;
            ++m_printed;
            try {
                MappedFile m(s.path);
                const etcd::SnapFile f = etcd::decode_snap_file(m.bytes());
                m_p->snap_file(s.path.string(), f);
                if (!f.crc_ok()) m_outcome = worse(Outcome::DataDamage);
            } catch (const std::exception& e) {
                m_p->snap_file_error(s.path.string(), e.what());
                m_outcome = worse(Outcome::DataDamage);
            }
        }
    }

private:
    Outcome worse(Outcome o) const { return m_outcome == Outcome::BadInput ? m_outcome : o; }
    bool limit_reached() const { return m_o.limit != 0 && m_printed >= m_o.limit; }

    bool wanted(const etcd::Entry& e, const etcd::RequestSummary& s) const {
        if (m_o.start_index && e.index < *m_o.start_index) return false;
        if (m_o.end_index && e.index >= *m_o.end_index) return false;
        if (!m_o.terms.empty() && !m_o.terms.count(e.term)) return false;
        if (!m_o.entry_types.empty()) {
            const auto names = etcd::entry_type_names(s, e.type);
            return std::any_of(names.begin(), names.end(), [this](const std::string& n) { return m_o.entry_types.count(lower(n)) > 0; });
        }
        return true;
    }

    void record(const std::string& file, const etcd::WalFrame& f) {
        const bool filtered = m_o.filtered();
        try {
            switch (f.type) {
            case 1:
                if (!filtered) m_p->metadata(file, f, etcd::decode_metadata(f.data, f.data_offset));
                break;
            case 2: {
                const etcd::Entry e = etcd::decode_entry(f.data, f.data_offset);
                const etcd::RequestSummary s = etcd::summarize_entry(e.type, e.data, {m_o.show_secrets});
                if (!wanted(e, s)) return;
                m_p->entry(file, f, e, s);
                // etcd cannot apply an entry that is neither an InternalRaftRequest nor a v2 Request.
                if (s.kind == etcd::PayloadKind::Unknown) m_outcome = worse(Outcome::DataDamage);
                break;
            }
            case 3:
                if (!filtered) m_p->hard_state(file, f, etcd::decode_hard_state(f.data, f.data_offset));
                break;
            case 4:
                if (!filtered) m_p->crc(file, f);
                break;
            case 5:
                if (!filtered) m_p->snapshot_record(file, f, etcd::decode_wal_snapshot(f.data, f.data_offset));
                break;
            default:
                m_p->undecodable(file, f, fmt::format("unknown record type {}", f.type));
                m_outcome = worse(Outcome::DataDamage);
                break;
            }
        } catch (const FormatError& e) {
            m_p->undecodable(file, f, e.what());
            m_outcome = worse(Outcome::DataDamage);
        }
        if (!filtered || f.type == 2) ++m_printed;
    }

    const EtcdDumpOptions& m_o;
    std::unique_ptr<EtcdPrinter> m_p;
    Outcome m_outcome = Outcome::Ok;
    std::uint64_t m_printed = 0;
};

}  // namespace

Outcome dump_etcd(const fs::path& path, const EtcdDumpOptions& o, std::ostream& out, std::ostream& err) {
    EtcdDumper d(o, out);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        const etcd::MemberDir m = etcd::list_member_dir(path);
        if (o.snap_files) {
            if (m.snaps.empty()) {
                err << fmt::format("zabra dump: {}: no .snap files\n", path.string());
                return Outcome::BadInput;
            }
            d.snaps(m.snaps);
        } else {
            if (m.segments.empty()) {
                err << fmt::format("zabra dump: {}: no WAL segments (*.wal)\n", path.string());
                return Outcome::BadInput;
            }
            d.wal(m.segments);
        }
        return d.outcome();
    }
    const std::string name = path.filename().string();
    if (name.ends_with(".snap") || name.ends_with(".snap.broken")) {
        d.snaps({{path, etcd::parse_snap_name(name).value_or(etcd::SnapName{}), 0}});
    } else {
        // A repair's copy (NAME.wal.broken) is read as the segment it was.
        const auto seg = etcd::parse_segment_name(name.ends_with(".broken") ? name.substr(0, name.size() - 7) : name);
        d.wal({{path, seg.value_or(etcd::SegmentName{}), 0}});
    }
    return d.outcome();
}

}  // namespace zabra::tools
