// verify findings for people: one block per finding, most severe first.
#include "tools/common/format_util.h"
#include "tools/verify/finding_printer.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

class TextFindingPrinter final : public FindingPrinter {
public:
    TextFindingPrinter(std::ostream& out, bool color) : m_out(out), m_color(color) {}

    void finding(const zab::Finding& f) override {
        static constexpr const char* kColor[] = {"\x1b[36m", "\x1b[33m", "\x1b[1;31m"};
        const int sev = static_cast<int>(f.severity);
        std::string where = escape_text(f.file.string());
        if (f.offset) where += fmt::format(" @{}", *f.offset);
        if (f.record) where += fmt::format(" record {}", *f.record);
        if (f.zxid) where += fmt::format(" zxid {}", hex_id(*f.zxid));
        if (f.index) where += fmt::format(" index {}", *f.index);
        if (f.term) where += fmt::format(" term {}", *f.term);
        m_out << fmt::format("{}{:<7}{} {} {}\n", m_color ? kColor[sev] : "", zab::severity_name(f.severity),
                             m_color ? "\x1b[0m" : "", f.code, where);
        m_out << "        " << escape_text(f.message, false) << '\n';
        if (!f.action.empty() && f.action != "none") m_out << "        action: " << f.action << '\n';
    }

    void summary(const zab::VerifyReport& r) override {
        const auto& s = r.stats;
        if (s.wal_segments || s.snap_files) {
            // Index range, commit and start snapshot are one member's: given only for one.
            const bool one = s.etcd_members <= 1;
            std::string e = one ? "etcd: " : fmt::format("etcd: {} members, ", s.etcd_members);
            e += fmt::format("{} WAL segment{} ({} records, {} entries", s.wal_segments, s.wal_segments == 1 ? "" : "s",
                             s.wal_records, s.entries);
            if (one && s.first_index) e += fmt::format(", index {}..{}", *s.first_index, *s.last_index);
            if (one && s.commit) e += fmt::format(", commit {}", *s.commit);
            e += fmt::format("), {} intact .snap file{}", s.snap_files, s.snap_files == 1 ? "" : "s");
            if (one && s.etcd_snap) e += fmt::format("; etcd would start from {}", escape_text(s.etcd_snap->filename().string()));
            m_out << e << '\n';
            if (s.logs == 0 && s.snapshots == 0) return tally(r);
        }
        std::string line = fmt::format("{} logs ({} records, {} bytes of payload), {} snapshots", s.logs, s.records,
                                       s.payload_bytes, s.snapshots);
        if (s.first_zxid) line += fmt::format(", zxid {}..{}", hex_id(*s.first_zxid), hex_id(*s.last_zxid));
        if (s.chosen_snapshot) {
            line += fmt::format("; ZooKeeper would load {}", escape_text(s.chosen_snapshot->filename().string()));
        }
        if (s.digests_compared) {
            line += fmt::format("; {} digest{} compared", s.digests_compared, s.digests_compared == 1 ? "" : "s");
        }
        m_out << line << '\n';
        tally(r);
    }

    void tally(const zab::VerifyReport& r) {
        const auto e = r.count(zab::Severity::Error), w = r.count(zab::Severity::Warning),
                   i = r.count(zab::Severity::Info);
        m_out << (e + w == 0 ? "clean" : e ? "ERRORS" : "warnings")
              << fmt::format(": {} error{}, {} warning{}, {} note{}\n", e, e == 1 ? "" : "s", w, w == 1 ? "" : "s", i,
                             i == 1 ? "" : "s");
    }

private:
    std::ostream& m_out;
    bool m_color;
};

}  // namespace

std::unique_ptr<FindingPrinter> make_text_finding_printer(std::ostream& out, bool color) {
    return std::make_unique<TextFindingPrinter>(out, color);
}

}  // namespace zabra::tools
