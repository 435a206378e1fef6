// JSON Lines: one object per txn, node, session, ACL and file end.
#include "tools/common/format_util.h"
#include "tools/dump/printer.h"
#include "tools/dump/txn_fields.h"

#include "libformat/zab/txn_codec.h"

#include <fmt/format.h>

namespace zabra::tools {

namespace {

class JsonFields final : public FieldSink {
public:
    JsonFields(std::string& out, const PrintOptions& options) : m_out(out), m_options(options) {}

    void text(std::string_view name, std::string_view value) override { append_json_string(key(name), value); }
    void data(std::string_view name, const zab::Buffer& value) override { json_data(name, value); }
    void number(std::string_view name, std::int64_t value) override { append_decimal(key(name), value); }
    void hex(std::string_view name, std::int64_t value) override {
        std::string& o = key(name);
        o += '"';
        append_hex_id(o, value);
        o += '"';
    }
    void boolean(std::string_view name, bool value) override { key(name) += value ? "true" : "false"; }
    void acls(std::string_view name, const zab::AclList& value) override {
        std::string& o = key(name);
        if (!value) {
            o += "null";
            return;
        }
        o += '[';
        for (std::size_t i = 0; i < value->size(); ++i) {
            const auto& a = (*value)[i];
            o += i ? ",{\"perms\":" : "{\"perms\":";
            append_decimal(o, a.perms);
            o += ",\"scheme\":";
            append_json_string(o, a.scheme);
            o += ",\"id\":";
            append_json_string(o, a.id);
            o += '}';
        }
        o += ']';
    }
    void strings(std::string_view name, const std::optional<std::vector<std::string>>& value) override {
        std::string& o = key(name);
        if (!value) {
            o += "null";
            return;
        }
        o += '[';
        for (std::size_t i = 0; i < value->size(); ++i) {
            if (i) o += ',';
            append_json_string(o, (*value)[i]);
        }
        o += ']';
    }
    void begin_ops(std::string_view name) override {
        key(name) += '[';
        m_first_op = true;
    }
    void begin_op(const zab::SubTxn& op) override {
        if (!m_first_op) m_out += ',';
        m_first_op = false;
        m_out += "{\"type\":\"";
        m_out += zab::op_label(op.type);  // labels are plain identifiers
        m_out += '"';
        if (!op.decode_error.empty()) {
            m_out += ",\"decode_error\":" + json_string(op.decode_error);
            json_data("raw", op.raw);
        }
    }
    void end_op() override { m_out += '}'; }
    void end_ops() override { m_out += ']'; }

    void json_data(std::string_view name, const zab::Buffer& value) {
        if (m_options.data == DataStyle::None) return;
        if (!value) {
            key(name) += "null";
        } else {
            m_out += ',';
            append_json_data(m_out, name, *value, m_options.data == DataStyle::Hex);
        }
    }

private:
    std::string& key(std::string_view name) {  // names are plain identifiers: no escaping needed
        m_out += ",\"";
        m_out += name;
        m_out += "\":";
        return m_out;
    }

    std::string& m_out;
    const PrintOptions& m_options;
    bool m_first_op = true;
};

class JsonPrinter final : public Printer {
public:
    JsonPrinter(std::ostream& out, const PrintOptions& options) : m_out(out), m_options(options) {}

    void begin_log(const std::string&, const zab::TxnLogReader&) override {}

    void txn(const std::string& file, const zab::TxnLogRecord& record, const zab::Txn& t) override {
        const auto& h = t.header;
        std::string& line = m_line;  // reused: no allocation per txn once warm
        line.assign("{\"record\":\"txn\",\"file\":");
        line += quoted_file(file);
        line += ",\"offset\":";
        append_decimal(line, static_cast<std::int64_t>(record.offset));
        line += ",\"zxid\":\"";
        append_hex_id(line, h.zxid);
        line += "\",\"type\":\"";
        line += zab::op_label(h.type);
        line += "\",\"session\":\"";
        append_hex_id(line, h.client_id);
        line += "\",\"cxid\":";
        append_decimal(line, h.cxid);
        line += ",\"time\":";
        append_decimal(line, h.time);
        if (zab::op_label(h.type) == "unknown") line += fmt::format(",\"opcode\":{}", h.type);
        JsonFields fields(line, m_options);
        walk_fields(t.body, fields);
        if (t.digest) {
            line += ",\"digest\":\"";
            append_hex_id(line, t.digest->tree_digest);
            line += "\",\"digest_version\":";
            append_decimal(line, t.digest->version);
        }
        if (!t.trailing.empty()) line += fmt::format(",\"trailing_bytes\":{}", t.trailing.size());
        line += "}\n";
        m_out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }

    void undecodable(const std::string& file, const zab::TxnLogRecord& record, const std::string& why) override {
        std::string line = fmt::format("{{\"record\":\"undecodable\",\"file\":{},\"offset\":{},\"error\":{}",
                                       quoted_file(file), record.offset, json_string(why));
        if (record.payload.size() >= zab::kTxnHeaderSize) {
            const zab::TxnHeader h = zab::decode_txn_header(record.payload);
            line += fmt::format(",\"zxid\":{},\"type\":{},\"opcode\":{},\"session\":{},\"cxid\":{},\"time\":{}",
                                json_string(hex_id(h.zxid)), json_string(zab::op_label(h.type)), h.type,
                                json_string(hex_id(h.client_id)), h.cxid, h.time);
        }
        m_out << line << "}\n";
    }

    void end_log(const std::string& file, const zab::LogEnd& end) override {
        static constexpr const char* kKinds[] = {"clean", "torn-tail", "damaged"};
        std::string line = fmt::format(
            "{{\"record\":\"log_end\",\"file\":{},\"kind\":\"{}\",\"cause\":\"{}\",\"offset\":{},\"records\":{},"
            "\"detail\":{}",
            json_string(file), kKinds[static_cast<int>(end.kind)], zab::end_cause_name(end.cause), end.offset,
            end.records, json_string(end.detail));
        if (end.kind == zab::LogEndKind::Damaged) {
            line += fmt::format(",\"nonzero_bytes_after\":{},\"resume_offset\":{}", end.nonzero_bytes_after,
                                end.resume_offset ? std::to_string(*end.resume_offset) : "null");
            if (end.resume_search_incomplete) line += ",\"resume_search_incomplete\":true";
        }
        m_out << line << "}\n";
    }

    void begin_snapshot(const std::string& file, std::optional<std::uint64_t>) override { m_file = file; }

    void session(const zab::SnapshotSession& s) override {
        m_out << fmt::format("{{\"record\":\"session\",\"file\":{},\"session\":{},\"timeout\":{}}}\n",
                             json_string(m_file), json_string(hex_id(s.id)), s.timeout);
    }

    void acl(const zab::SnapshotAcl& a) override {
        std::string line = fmt::format("{{\"record\":\"acl\",\"file\":{},\"id\":{}", json_string(m_file), a.id);
        JsonFields fields(line, m_options);
        fields.acls("acl", a.acls);
        m_out << line << "}\n";
    }

    void node(const std::string& file, const zab::SnapshotNode& n) override {
        const auto& s = n.stat;
        std::string& line = m_line;
        line.assign("{\"record\":\"node\",\"file\":");
        line += quoted_file(file);
        line += ",\"path\":";
        append_json_string(line, n.path.empty() ? "/" : n.path);
        JsonFields fields(line, m_options);
        fields.data("data", n.data);
        line += ",\"acl\":";
        append_decimal(line, n.acl);
        fields.hex("czxid", s.czxid);
        fields.hex("mzxid", s.mzxid);
        fields.hex("pzxid", s.pzxid);
        fields.number("ctime", s.ctime);
        fields.number("mtime", s.mtime);
        fields.number("version", s.version);
        fields.number("cversion", s.cversion);
        fields.number("aversion", s.aversion);
        fields.hex("ephemeral_owner", s.ephemeral_owner);
        fields.number("data_length", n.data ? static_cast<std::int64_t>(n.data->size()) : 0);
        line += "}\n";
        m_out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }

    void end_snapshot(const std::string& file, const zab::SnapshotReadResult& r) override {
        std::string line = fmt::format(
            "{{\"record\":\"snapshot_end\",\"file\":{},\"compression\":\"{}\",\"ok\":{},\"sessions\":{},"
            "\"acls\":{},\"nodes\":{}",
            json_string(file), zab::compression_name(r.compression), r.ok() ? "true" : "false", r.sessions, r.acls,
            r.nodes);
        auto seal = [&](const char* name, const std::optional<zab::SnapshotSeal>& s) {
            if (s) line += fmt::format(",\"{}\":{}", name, s->ok() ? "\"ok\"" : "\"mismatch\"");
        };
        seal("seal1", r.trailer.seal1);
        seal("seal2", r.trailer.seal2);
        seal("seal3", r.trailer.seal3);
        if (r.trailer.digest) {
            line += fmt::format(",\"digest_zxid\":{},\"digest\":{}", json_string(hex_id(r.trailer.digest->zxid)),
                                json_string(hex_id(r.trailer.digest->digest)));
        }
        if (r.trailer.last_processed_zxid) {
            line += fmt::format(",\"last_processed_zxid\":{}", json_string(hex_id(*r.trailer.last_processed_zxid)));
        }
        if (r.error) line += fmt::format(",\"error\":{},\"error_offset\":{}", json_string(*r.error), r.error_offset);
        m_out << line << "}\n";
    }

private:
    // The file name is the same for every txn of a log: escape it once.
    const std::string& quoted_file(const std::string& file) {
        if (file != m_quoted_for) {
            m_quoted_for = file;
            m_quoted = json_string(file);
        }
        return m_quoted;
    }

    std::ostream& m_out;
    PrintOptions m_options;
    std::string m_file;
    std::string m_quoted_for;
    std::string m_quoted;
    std::string m_line;
};

}  // namespace

std::unique_ptr<Printer> make_json_printer(std::ostream& out, const PrintOptions& options) {
    return std::make_unique<JsonPrinter>(out, options);
}

}  // namespace zabra::tools
