// Human-readable output: one line per txn (multi ops inline) and per node.
#include "tools/common/format_util.h"
#include "tools/dump/printer.h"
#include "tools/dump/txn_fields.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

class TextFields final : public FieldSink {
public:
    TextFields(std::string& out, const PrintOptions& options) : m_out(out), m_options(options) {}

    void text(std::string_view name, std::string_view value) override { append_escaped(field(name), value); }
    void data(std::string_view name, const zab::Buffer& value) override {
        if (m_options.data == DataStyle::None) return;
        std::string& o = field(name);
        if (!value) {
            o += "null";
            return;
        }
        append_shown_data(o, *value, m_options.data == DataStyle::Hex,
                          m_options.data == DataStyle::Full ? SIZE_MAX : m_options.data_cap);
    }
    void number(std::string_view name, std::int64_t value) override { field(name) += std::to_string(value); }
    void hex(std::string_view name, std::int64_t value) override { append_hex_id(field(name), value); }
    void boolean(std::string_view name, bool value) override { field(name) += value ? "true" : "false"; }
    void acls(std::string_view name, const zab::AclList& value) override {
        list(field(name), value, [](std::string& o, const zab::Acl& a) { append_acl_text(o, a); });
    }
    void strings(std::string_view name, const std::optional<std::vector<std::string>>& value) override {
        list(field(name), value, [](std::string& o, const std::string& p) { append_escaped(o, p); });
    }
    void begin_ops(std::string_view name) override {
        field(name) += '[';
        m_first_op = true;
    }
    void begin_op(const zab::SubTxn& op) override {
        if (!m_first_op) m_out += "; ";
        m_first_op = false;
        m_out += zab::op_label(op.type);
        if (!op.decode_error.empty()) m_out += " undecodable(" + escape_text(op.decode_error) + ")";
    }
    void end_op() override {}
    void end_ops() override { m_out += ']'; }

private:
    // "[a,b,c]", or "null" for a null vector.
    template <class T, class Each>
    static void list(std::string& o, const std::optional<std::vector<T>>& v, Each each) {
        if (!v) {
            o += "null";
            return;
        }
        o += '[';
        for (std::size_t i = 0; i < v->size(); ++i) {
            if (i) o += ',';
            each(o, (*v)[i]);
        }
        o += ']';
    }

    std::string& field(std::string_view name) {
        m_out += ' ';
        m_out += name;
        m_out += '=';
        return m_out;
    }

    std::string& m_out;
    const PrintOptions& m_options;
    bool m_first_op = true;
};

class TextPrinter final : public Printer {
public:
    TextPrinter(std::ostream& out, const PrintOptions& options) : m_out(out), m_options(options) {}

    void begin_log(const std::string& file, const zab::TxnLogReader& reader) override {
        if (reader.header_status() != zab::HeaderStatus::Ok) {
            m_out << fmt::format("# txn log {}\n", file);  // the end line says what is wrong
            return;
        }
        m_out << fmt::format("# txn log {} (version {}, dbid {})\n", file, reader.header().version,
                             reader.header().dbid);
    }

    void txn(const std::string&, const zab::TxnLogRecord&, const zab::Txn& t) override {
        const auto& h = t.header;
        std::string& line = m_line;  // reused: no allocation per txn once warm
        line.clear();
        append_hex_id(line, h.zxid);
        line += ' ';
        append_iso_time(line, h.time, m_options.utc);
        line += " session ";
        append_hex_id(line, h.client_id);
        line += " cxid ";
        line += std::to_string(h.cxid);
        line += ' ';
        line += zab::op_label(h.type);
        TextFields fields(line, m_options);
        walk_fields(t.body, fields);
        if (t.digest) {
            line += " digest=";
            append_hex_id(line, t.digest->tree_digest);
        }
        if (!t.trailing.empty()) line += fmt::format(" trailing_bytes={}", t.trailing.size());
        line += '\n';
        m_out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }

    void undecodable(const std::string&, const zab::TxnLogRecord& record, const std::string& why) override {
        m_out << fmt::format("# undecodable record at offset {}: {}\n", record.offset, why);
    }

    void end_log(const std::string& file, const zab::LogEnd& end) override {
        static constexpr const char* kKinds[] = {"clean end", "TORN TAIL", "DAMAGED"};
        std::string line = fmt::format("# {}: {} after {} records at offset {}: {}", file,
                                       kKinds[static_cast<int>(end.kind)], end.records, end.offset, end.detail);
        if (end.kind == zab::LogEndKind::Damaged && end.cause != zab::EndCause::BadHeader) {
            line += fmt::format("; {} non-zero bytes follow", end.nonzero_bytes_after);
            if (end.resume_offset) line += fmt::format(", readable records resume at offset {}", *end.resume_offset);
            if (end.resume_search_incomplete) line += ", search for readable records gave up (work budget)";
        }
        m_out << line << '\n';
    }

    void begin_snapshot(const std::string& file, std::optional<std::uint64_t>) override { m_out << fmt::format("# snapshot {}\n", file); }

    void session(const zab::SnapshotSession& s) override {
        m_out << fmt::format("session {} timeout {}\n", hex_id(s.id), s.timeout);
    }

    void acl(const zab::SnapshotAcl& a) override {
        std::string line = fmt::format("acl {}", a.id);
        TextFields fields(line, m_options);
        fields.acls("acl", a.acls);
        m_out << line << '\n';
    }

    void node(const std::string&, const zab::SnapshotNode& n) override {
        const auto& s = n.stat;
        std::string& line = m_line;
        line.clear();
        append_escaped(line, n.path.empty() ? "/" : n.path);
        TextFields fields(line, m_options);
        fields.data("data", n.data);
        line += " czxid=";
        append_hex_id(line, s.czxid);
        line += " mzxid=";
        append_hex_id(line, s.mzxid);
        line += " pzxid=";
        append_hex_id(line, s.pzxid);
        line += " ctime=";
        append_iso_time(line, s.ctime, m_options.utc);
        line += " mtime=";
        append_iso_time(line, s.mtime, m_options.utc);
        line += " version=";
        append_decimal(line, s.version);
        line += " cversion=";
        append_decimal(line, s.cversion);
        line += " aversion=";
        append_decimal(line, s.aversion);
        line += " owner=";
        append_hex_id(line, s.ephemeral_owner);
        line += " acl=";
        append_decimal(line, n.acl);
        line += '\n';
        m_out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }

    void end_snapshot(const std::string& file, const zab::SnapshotReadResult& r) override {
        auto seal = [](const std::optional<zab::SnapshotSeal>& s) -> std::string {
            if (!s) return "absent";
            return s->ok() ? "ok" : fmt::format("MISMATCH (stored 0x{:x}, computed 0x{:x})", s->stored, s->computed);
        };
        std::string line = fmt::format("# {}: {} sessions, {} ACLs, {} nodes, compression {}, seal1 {}, seal2 {}, seal3 {}",
                                       file, r.sessions, r.acls, r.nodes, zab::compression_name(r.compression),
                                       seal(r.trailer.seal1), seal(r.trailer.seal2), seal(r.trailer.seal3));
        if (r.trailer.digest) {
            line += fmt::format(", digest {} at zxid {}", hex_id(r.trailer.digest->digest),
                                hex_id(r.trailer.digest->zxid));
        }
        if (r.error) line += fmt::format("; ERROR: {}", *r.error);
        m_out << line << '\n';
    }

private:
    std::ostream& m_out;
    PrintOptions m_options;
    std::string m_line;
};

}  // namespace

std::unique_ptr<Printer> make_text_printer(std::ostream& out, const PrintOptions& options) {
    return std::make_unique<TextPrinter>(out, options);
}

}  // namespace zabra::tools
