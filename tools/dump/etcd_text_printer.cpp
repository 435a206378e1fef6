// etcd WAL records for people: one line per record, entries with their
// request summarised (keys and values escaped and capped like ZooKeeper data).
#include "tools/dump/etcd_printer.h"
#include "tools/common/format_util.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

class EtcdTextPrinter final : public EtcdPrinter {
public:
    EtcdTextPrinter(std::ostream& out, const PrintOptions& o) : m_out(out), m_options(o) {}

    void begin_segment(const std::string& file, const etcd::SegmentName& name) override {
        m_out << fmt::format("# wal segment {} (seq {}, first index {})\n", escape_text(file), name.seq, name.index);
    }
    void metadata(const std::string&, const etcd::WalFrame& f, const etcd::WalMetadata& m) override {
        m_out << fmt::format("@{} metadata node={:x} cluster={:x}\n", f.offset, m.node_id, m.cluster_id);
    }
    void entry(const std::string&, const etcd::WalFrame&, const etcd::Entry& e,
               const etcd::RequestSummary& s) override {
        std::string line = fmt::format("{} term={} ", e.index, e.term);
        summary(line, s);
        m_out << line << '\n';
    }
    void hard_state(const std::string&, const etcd::WalFrame& f, const etcd::HardState& h) override {
        m_out << fmt::format("@{} hardstate term={} vote={:x} commit={}\n", f.offset, h.term, h.vote, h.commit);
    }
    void crc(const std::string&, const etcd::WalFrame& f) override {
        m_out << fmt::format("@{} crc {:#010x}\n", f.offset, f.crc);
    }
    void snapshot_record(const std::string&, const etcd::WalFrame& f, const etcd::WalSnapshot& s) override {
        std::string line = fmt::format("@{} snapshot index={} term={}", f.offset, s.index, s.term);
        if (s.conf_state) line += " " + conf_state(*s.conf_state);
        m_out << line << '\n';
    }
    void undecodable(const std::string&, const etcd::WalFrame& f, const std::string& why) override {
        m_out << fmt::format("@{} {} UNDECODABLE: {}\n", f.offset, etcd::record_type_name(f.type), escape_text(why, false));
    }
    void end_segment(const std::string& file, const etcd::WalEnd& end) override {
        using K = etcd::WalEndKind;
        if (end.kind == K::Clean && end.nonzero_bytes_after == 0) return;
        const char* what = end.kind == K::TornTail ? "TORN TAIL" : end.kind == K::Damaged ? "DAMAGED" : "HIDDEN DATA";
        m_out << fmt::format("# {} in {} at offset {} after {} records: {}{}\n", what, escape_text(file), end.offset,
                             end.records, end.detail,
                             end.nonzero_bytes_after ? fmt::format("; {} non-zero bytes follow", end.nonzero_bytes_after)
                                                     : std::string());
    }
    void segment_error(const std::string& file, const std::string& why) override {
        m_out << fmt::format("# wal segment {}: UNREADABLE: {}\n", escape_text(file), escape_text(why, false));
    }
    void snap_file(const std::string& file, const etcd::SnapFile& s) override {
        m_out << fmt::format("# snap {}\nsnapshot index={} term={} {} data={} bytes crc={:#010x}{}\n", escape_text(file),
                             s.index, s.term, conf_state(s.conf_state), s.data.size(), s.crc,
                             s.crc_ok() ? "" : fmt::format(" MISMATCH (computed {:#010x})", s.computed_crc));
    }
    void snap_file_error(const std::string& file, const std::string& why) override {
        m_out << fmt::format("# snap {}: UNREADABLE: {}\n", escape_text(file), escape_text(why, false));
    }

private:
    static std::string ids(const std::vector<std::uint64_t>& v) {
        std::string s = "[";
        for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}{:x}", i ? "," : "", v[i]);
        return s + "]";
    }
    static std::string conf_state(const etcd::ConfState& c) {
        std::string s = "voters=" + ids(c.voters);
        if (!c.learners.empty()) s += " learners=" + ids(c.learners);
        if (!c.voters_outgoing.empty()) s += " voters_outgoing=" + ids(c.voters_outgoing);
        if (!c.learners_next.empty()) s += " learners_next=" + ids(c.learners_next);
        if (c.auto_leave) s += " auto_leave";
        return s;
    }

    void bytes(std::string& out, std::string_view v) const {
        if (m_options.data == DataStyle::None) {
            out += fmt::format("<{} bytes>", v.size());
            return;
        }
        append_shown_data(out, v, m_options.data == DataStyle::Hex, m_options.data == DataStyle::Full ? SIZE_MAX : m_options.data_cap);
    }

    void summary(std::string& out, const etcd::RequestSummary& s) const {
        out += s.op;
        if (s.kind == etcd::PayloadKind::Unknown && !s.error.empty()) out += " (" + escape_text(s.error, false) + ")";
        for (const auto& f : s.fields) {
            using K = etcd::SummaryField::Kind;
            if (f.kind == K::Bool) {
                // Flags are given only when set, except the few that mean something when false.
                out += f.u ? " " + f.name : " " + f.name + "=false";
                continue;
            }
            out += ' ';
            out += f.name;
            out += '=';
            switch (f.kind) {
            case K::Bytes: bytes(out, f.bytes); break;
            case K::Unsigned: out += fmt::format("{}", f.u); break;
            case K::Signed: out += fmt::format("{}", f.i); break;
            case K::Id: out += fmt::format("{:x}", f.u); break;
            case K::Name: out += f.bytes; break;
            case K::Redacted: out += fmt::format("<redacted, {} bytes>", f.bytes); break;
            case K::Ops:
                out += '[';
                for (std::size_t i = 0; i < f.ops.size(); ++i) {
                    if (i) out += ", ";
                    summary(out, f.ops[i]);
                }
                out += ']';
                break;
            case K::Bool: break;
            }
        }
    }

    std::ostream& m_out;
    PrintOptions m_options;
};

}  // namespace

std::unique_ptr<EtcdPrinter> make_etcd_text_printer(std::ostream& out, const PrintOptions& options) {
    return std::make_unique<EtcdTextPrinter>(out, options);
}

}  // namespace zabra::tools
