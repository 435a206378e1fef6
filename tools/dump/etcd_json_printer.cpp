// etcd WAL records as JSON Lines: one object per record, "record" naming its
// kind; raft numbers as JSON numbers, ids as hex strings (as etcd prints
// member ids), the decoded request under "request".
#include "tools/dump/etcd_printer.h"
#include "tools/common/format_util.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

class EtcdJsonPrinter final : public EtcdPrinter {
public:
    EtcdJsonPrinter(std::ostream& out, const PrintOptions& o) : m_out(out), m_options(o) {}

    void begin_segment(const std::string&, const etcd::SegmentName&) override {}
    void metadata(const std::string& file, const etcd::WalFrame& f, const etcd::WalMetadata& m) override {
        std::string s = head("metadata", file, f);
        s += fmt::format(",\"node_id\":\"{:x}\",\"cluster_id\":\"{:x}\"}}\n", m.node_id, m.cluster_id);
        m_out << s;
    }
    void entry(const std::string& file, const etcd::WalFrame& f, const etcd::Entry& e,
               const etcd::RequestSummary& r) override {
        std::string s = head("entry", file, f);
        s += fmt::format(",\"index\":{},\"term\":{},\"type\":\"{}\",\"data_len\":{},\"request\":", e.index, e.term,
                         etcd::entry_type_name(e.type), e.data.size());
        summary(s, r);
        s += "}\n";
        m_out << s;
    }
    void hard_state(const std::string& file, const etcd::WalFrame& f, const etcd::HardState& h) override {
        m_out << head("hardstate", file, f)
              << fmt::format(",\"term\":{},\"vote\":\"{:x}\",\"commit\":{}}}\n", h.term, h.vote, h.commit);
    }
    void crc(const std::string& file, const etcd::WalFrame& f) override { m_out << head("crc", file, f) << "}\n"; }
    void snapshot_record(const std::string& file, const etcd::WalFrame& f, const etcd::WalSnapshot& s) override {
        std::string o = head("snapshot", file, f) + fmt::format(",\"index\":{},\"term\":{}", s.index, s.term);
        if (s.conf_state) o += ",\"conf_state\":" + conf_state(*s.conf_state);
        m_out << o << "}\n";
    }
    void undecodable(const std::string& file, const etcd::WalFrame& f, const std::string& why) override {
        m_out << head("undecodable", file, f) << fmt::format(",\"type\":{},\"error\":{}}}\n", f.type, json_string(why));
    }
    void end_segment(const std::string& file, const etcd::WalEnd& end) override {
        const char* kind = end.kind == etcd::WalEndKind::Clean ? "clean"
                           : end.kind == etcd::WalEndKind::TornTail ? "torn_tail" : "damaged";
        m_out << fmt::format("{{\"record\":\"end\",\"file\":{},\"offset\":{},\"records\":{},\"end\":\"{}\",\"cause\":\"{}\","
                             "\"detail\":{},\"nonzero_bytes_after\":{}}}\n",
                             json_string(file), end.offset, end.records, kind, etcd::wal_end_cause_name(end.cause),
                             json_string(end.detail), end.nonzero_bytes_after);
    }
    void segment_error(const std::string& file, const std::string& why) override {
        m_out << fmt::format("{{\"record\":\"segment_error\",\"file\":{},\"error\":{}}}\n", json_string(file), json_string(why));
    }
    void snap_file(const std::string& file, const etcd::SnapFile& s) override {
        m_out << fmt::format("{{\"record\":\"snap_file\",\"file\":{},\"index\":{},\"term\":{},\"conf_state\":{},"
                             "\"data_len\":{},\"crc\":\"{:#010x}\",\"crc_ok\":{}}}\n",
                             json_string(file), s.index, s.term, conf_state(s.conf_state), s.data.size(), s.crc,
                             s.crc_ok() ? "true" : "false");
    }
    void snap_file_error(const std::string& file, const std::string& why) override {
        m_out << fmt::format("{{\"record\":\"snap_file\",\"file\":{},\"error\":{}}}\n", json_string(file), json_string(why));
    }

private:
    static std::string head(const char* record, const std::string& file, const etcd::WalFrame& f) {
        return fmt::format("{{\"record\":\"{}\",\"file\":{},\"offset\":{},\"crc\":\"{:#010x}\"", record, json_string(file),
                           f.offset, f.crc);
    }
    static std::string ids(const std::vector<std::uint64_t>& v) {
        std::string s = "[";
        for (std::size_t i = 0; i < v.size(); ++i) s += fmt::format("{}\"{:x}\"", i ? "," : "", v[i]);
        return s + "]";
    }
    static std::string conf_state(const etcd::ConfState& c) {
        return fmt::format("{{\"voters\":{},\"learners\":{},\"voters_outgoing\":{},\"learners_next\":{},\"auto_leave\":{}}}",
                           ids(c.voters), ids(c.learners), ids(c.voters_outgoing), ids(c.learners_next),
                           c.auto_leave ? "true" : "false");
    }

    void bytes(std::string& out, const std::string& name, std::string_view v) const {
        if (m_options.data == DataStyle::None) {
            out += fmt::format("\"{}_len\":{}", name, v.size());
        } else {
            append_json_data(out, name, v, m_options.data == DataStyle::Hex);
        }
    }

    // Fields in order; a name used more than once (client_urls) becomes an array.
    void summary(std::string& out, const etcd::RequestSummary& s) const {
        out += fmt::format("{{\"kind\":\"{}\",\"op\":{}", etcd::payload_kind_name(s.kind), json_string(s.op));
        if (!s.error.empty()) out += ",\"error\":" + json_string(s.error);
        for (std::size_t i = 0; i < s.fields.size(); ++i) {
            const auto& f = s.fields[i];
            using K = etcd::SummaryField::Kind;
            bool first_of_name = true;
            for (std::size_t j = 0; j < i; ++j) first_of_name &= s.fields[j].name != f.name;
            if (!first_of_name) continue;
            std::size_t same = 0;
            for (const auto& g : s.fields) same += g.name == f.name;
            out += ',';
            if (same > 1 && f.kind == K::Bytes) {
                out += fmt::format("\"{}\":[", f.name);
                bool first = true;
                for (const auto& g : s.fields) {
                    if (g.name != f.name) continue;
                    out += first ? "" : ",";
                    first = false;
                    // One array, so one style: escaped text (arrays of URLs in practice).
                    out += json_string(g.bytes);
                }
                out += ']';
                continue;
            }
            switch (f.kind) {
            case K::Bytes: bytes(out, f.name, f.bytes); break;
            case K::Unsigned: out += fmt::format("\"{}\":{}", f.name, f.u); break;
            case K::Signed: out += fmt::format("\"{}\":{}", f.name, f.i); break;
            case K::Id: out += fmt::format("\"{}\":\"{:x}\"", f.name, f.u); break;
            case K::Bool: out += fmt::format("\"{}\":{}", f.name, f.u ? "true" : "false"); break;
            case K::Name: out += fmt::format("\"{}\":{}", f.name, json_string(f.bytes)); break;
            case K::Redacted: out += fmt::format("\"{}\":{{\"redacted\":true,\"len\":{}}}", f.name, f.bytes); break;
            case K::Ops:
                out += fmt::format("\"{}\":[", f.name);
                for (std::size_t k = 0; k < f.ops.size(); ++k) {
                    if (k) out += ',';
                    summary(out, f.ops[k]);
                }
                out += ']';
                break;
            }
        }
        out += '}';
    }

    std::ostream& m_out;
    PrintOptions m_options;
};

}  // namespace

std::unique_ptr<EtcdPrinter> make_etcd_json_printer(std::ostream& out, const PrintOptions& options) {
    return std::make_unique<EtcdJsonPrinter>(out, options);
}

}  // namespace zabra::tools
