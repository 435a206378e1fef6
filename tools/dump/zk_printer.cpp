// Output in the format of ZooKeeper 3.8's own tools, so their users can diff:
// txn logs as `TxnLogToolkit -d` prints them (line for line), snapshots as
// `SnapshotFormatter -d` (same lines; node and session order follow the file,
// where SnapshotFormatter follows Java's HashMap order).
#include "tools/common/format_util.h"
#include "tools/dump/printer.h"

#include "libformat/common/java_text.h"
#include "libformat/zab/data_dir.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <iterator>
#include <map>

namespace zabra::tools {

namespace {

// ToStringOutputArchive.escapeString.
std::string jute_string(std::string_view raw) {
    std::string out = "'";
    for (char c : java::utf8(raw)) {
        switch (c) {
        case '\0': out += "%00"; break;
        case '\n': out += "%0A"; break;
        case '\r': out += "%0D"; break;
        case ',': out += "%2C"; break;
        case '}': out += "%7D"; break;
        case '%': out += "%25"; break;
        default: out.push_back(c);
        }
    }
    return out;
}

// ToStringOutputArchive.escapeBuffer: Integer.toHexString of each signed byte.
std::string jute_buffer(const zab::Buffer& b) {
    if (!b || b->empty()) return "";
    std::string out = "#";
    for (char c : *b) out += fmt::format("{:x}", static_cast<std::uint32_t>(static_cast<std::int32_t>(c)));
    return out;
}

std::string jute_acl_record(const zab::Acl& a) {  // inside a vector: s{perms,s{'scheme,'id}}
    return fmt::format("s{{{},s{{{},{}}}}}", a.perms, jute_string(a.scheme), jute_string(a.id));
}

std::string jute_acl_vector(const zab::AclList& acls) {
    std::string out = "v{";
    if (acls) {
        for (std::size_t i = 0; i < acls->size(); ++i) { if (i) out += ','; out += jute_acl_record((*acls)[i]); }
    }
    return out + "}";
}

// java.util.List<ACL>.toString(): "[" + ACL.toString() joined by ", " + "]".
void append_java_acl_list(std::string& out, const zab::AclList& acls) {
    if (!acls) {
        out += "null";
        return;
    }
    out += '[';
    for (std::size_t i = 0; i < acls->size(); ++i) {
        const auto& a = (*acls)[i];
        if (i) out += ", ";
        append_decimal(out, a.perms);
        out += ",s{";
        out += jute_string(a.scheme);
        out += ',';
        out += jute_string(a.id);
        out += "}\n";
    }
    out += ']';
}

void append_data_text(std::string& out, const zab::Buffer& b) {
    if (b) java::append_utf8(out, *b);
}

std::string data_text(const zab::Buffer& b) { return b ? java::utf8(*b) : std::string(); }

// TxnLogToolkit.getFormattedTxnStr. The common kinds are appended piece by
// piece: this runs once per txn.
void append_body_text(std::string& out, std::int32_t type, const zab::TxnBody& body) {
    using namespace zab;
    auto path_data = [&out](const std::string& path, const Buffer& data) {
        java::append_utf8(out, path);
        out += ',';
        append_data_text(out, data);
        out += ',';
    };
    if (const auto* c = std::get_if<CreateTxn>(&body)) {
        path_data(c->path, c->data);
        append_java_acl_list(out, c->acl);
        out += c->ephemeral ? ",true," : ",false,";
        append_decimal(out, c->parent_cversion);
        return;
    }
    if (const auto* d = std::get_if<SetDataTxn>(&body)) {
        path_data(d->path, d->data);
        append_decimal(out, d->version);
        return;
    }
    if (const auto* c = std::get_if<CreateContainerTxn>(&body)) {
        path_data(c->path, c->data);
        append_java_acl_list(out, c->acl);
        out += ',';
        append_decimal(out, c->parent_cversion);
        return;
    }
    if (const auto* c = std::get_if<CreateTtlTxn>(&body)) {
        path_data(c->path, c->data);
        append_java_acl_list(out, c->acl);
        out += ',';
        append_decimal(out, c->parent_cversion);
        out += ',';
        append_decimal(out, c->ttl);
        return;
    }
    out += std::visit(
        [&](const auto& b) -> std::string {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, CreateTxn> || std::is_same_v<T, SetDataTxn> ||
                          std::is_same_v<T, CreateContainerTxn> || std::is_same_v<T, CreateTtlTxn>) {
                return {};  // appended above
            } else if constexpr (std::is_same_v<T, MultiTxn>) {
                std::string ops;
                if (b.ops) {
                    for (std::size_t i = 0; i < b.ops->size(); ++i) {
                        const auto& op = (*b.ops)[i];
                        ops += fmt::format("{}{}:{}", i ? ";" : "", op_name(op.type), data_text(op.raw));
                    }
                }
                return ops;
            } else if constexpr (std::is_same_v<T, CreateSessionTxn>) {
                return fmt::format("{}\n", b.timeout);
            } else if constexpr (std::is_same_v<T, ErrorTxn>) {
                return fmt::format("{}\n", b.err);
            } else if constexpr (std::is_same_v<T, DeleteTxn>) {
                return jute_string(b.path) + "\n";
            } else if constexpr (std::is_same_v<T, SetAclTxn>) {
                return fmt::format("{},{},{}\n", jute_string(b.path), jute_acl_vector(b.acl), b.version);
            } else if constexpr (std::is_same_v<T, CheckVersionTxn>) {
                return fmt::format("{},{}\n", jute_string(b.path), b.version);
            } else if constexpr (std::is_same_v<T, CloseSessionTxn>) {
                if (!b.paths_to_delete) return "";
                std::string paths = "v{";
                if (*b.paths_to_delete) {
                    const auto& v = **b.paths_to_delete;
                    for (std::size_t i = 0; i < v.size(); ++i) { if (i) paths += ','; paths += jute_string(v[i]); }
                }
                return paths + "}\n";
            } else {
                (void)type;
                return jute_buffer(b.bytes) + "\n";
            }
        },
        body);
}

std::tm to_tm(std::int64_t ms, bool utc) {
    const std::time_t t = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    std::tm tm{};
    if (utc) {
        gmtime_r(&t, &tm);
    } else {
        localtime_r(&t, &tm);
    }
    return tm;
}

std::string zone_name(const std::tm& tm, bool utc) {
    if (utc) return "UTC";
    char z[16];
    std::strftime(z, sizeof z, "%Z", &tm);
    return z;
}

// DateFormat.getDateTimeInstance(SHORT, LONG) in en_US: "11/26/26, 6:26:47 AM UTC".
const std::string& java_short_long(std::int64_t ms, bool utc) {
    return per_second(ms, utc, [](std::int64_t secs, bool in_utc) {
        const std::tm tm = to_tm(secs * 1000, in_utc);
        const int h12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
        return fmt::format("{}/{}/{:02}, {}:{:02}:{:02} {} {}", tm.tm_mon + 1, tm.tm_mday, tm.tm_year % 100, h12,
                           tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM", zone_name(tm, in_utc));
    });
}

// java.util.Date.toString(): "Thu Nov 26 06:26:47 UTC 2026".
const std::string& java_date(std::int64_t ms, bool utc) {
    return per_second(ms, utc, [](std::int64_t secs, bool in_utc) {
        const std::tm tm = to_tm(secs * 1000, in_utc);
        char buf[64];
        std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S", &tm);
        return fmt::format("{} {} {}", buf, zone_name(tm, in_utc), tm.tm_year + 1900);
    });
}

// String.format("%#016x", v).
std::string java_hex16(std::int64_t v) { return fmt::format("{:#016x}", static_cast<std::uint64_t>(v)); }

// The same, appended.
void append_java_hex16(std::string& out, std::int64_t v) { append_hex_id(out, v, 14); }

class ZkPrinter final : public Printer {
public:
    ZkPrinter(std::ostream& out, const PrintOptions& options) : m_out(out), m_options(options) {}

    void begin_log(const std::string&, const zab::TxnLogReader& reader) override {
        if (reader.header_status() != zab::HeaderStatus::Ok) return;
        m_out << fmt::format("ZooKeeper Transactional Log File with dbid {} txnlog format version {}\n",
                             reader.header().dbid, reader.header().version);
    }

    void txn(const std::string&, const zab::TxnLogRecord&, const zab::Txn& t) override {
        const auto& h = t.header;
        std::string& line = m_line;  // reused: no allocation per txn once warm
        line.clear();
        fmt::format_to(std::back_inserter(line), "{} session 0x{:x} cxid 0x{:x} zxid 0x{:x} {} ",
                       java_short_long(h.time, m_options.utc), static_cast<std::uint64_t>(h.client_id),
                       static_cast<std::uint64_t>(static_cast<std::int64_t>(h.cxid)),
                       static_cast<std::uint64_t>(h.zxid), zab::op_name(h.type));
        append_body_text(line, h.type, t.body);
        if (line.back() != '\n') line += '\n';
        m_out.write(line.data(), static_cast<std::streamsize>(line.size()));
    }

    void undecodable(const std::string&, const zab::TxnLogRecord&, const std::string& why) override {
        m_out << "Unsupported or undecodable txn: " << why << '\n';
    }

    void end_log(const std::string&, const zab::LogEnd& end) override {
        if (end.cause == zab::EndCause::BadHeader) {
            m_out << "Invalid magic number or short file header\n";
        } else if (end.cause == zab::EndCause::BadEndOfRecord) {
            m_out << "Last transaction was partial.\n";
        } else {
            m_out << fmt::format("EOF reached after {} txns.\n", end.records);
        }
        // TxnLogToolkit has no words for this; say it rather than hide it.
        if (end.kind == zab::LogEndKind::Damaged && end.cause != zab::EndCause::BadHeader) {
            m_out << fmt::format("zabra: damaged at offset {}: {}\n", end.offset, end.detail);
        }
    }

    bool needs_node_count() const override { return true; }

    void begin_snapshot(const std::string&, std::optional<std::uint64_t> node_count) override {
        m_sessions.clear();
        m_owners.clear();
        m_max_zxid = 0;
        m_started = false;
        m_count = node_count.value_or(0);
    }

    void session(const zab::SnapshotSession& s) override { m_sessions.push_back(s); }
    void acl(const zab::SnapshotAcl&) override {}

    bool formats_nodes_alone() const override { return false; }  // counts owners and the newest zxid

    void node(const std::string&, const zab::SnapshotNode& n) override {
        if (!m_started) {
            // SnapshotFormatter's count includes the "/" alias of the root.
            m_out << fmt::format("ZNode Details (count={}):\n", m_count + 1);
            m_started = true;
        }
        const auto& s = n.stat;
        const bool utc = m_options.utc;
        std::string& b = m_line;  // reused: no allocation per node once warm
        b.assign("----\n");
        if (n.path.empty()) {
            b += '/';
        } else {
            java::append_utf8(b, n.path);
        }
        auto field = [&b](const char* name, std::string_view value) {
            b += name;
            b += value;
            b += '\n';
        };
        auto hex_field = [&b](const char* name, std::int64_t v) {
            b += name;
            append_java_hex16(b, v);
            b += '\n';
        };
        auto int_field = [&b](const char* name, std::int64_t v) {
            b += name;
            append_decimal(b, v);
            b += '\n';
        };
        b += '\n';
        hex_field("  cZxid = ", s.czxid);
        field("  ctime = ", java_date(s.ctime, utc));
        hex_field("  mZxid = ", s.mzxid);
        field("  mtime = ", java_date(s.mtime, utc));
        hex_field("  pZxid = ", s.pzxid);
        int_field("  cversion = ", s.cversion);
        int_field("  dataVersion = ", s.version);
        int_field("  aclVersion = ", s.aversion);
        hex_field("  ephemeralOwner = ", s.ephemeral_owner);
        if (m_options.data == DataStyle::None) {
            int_field("  dataLength = ", n.data ? static_cast<std::int64_t>(n.data->size()) : 0);
        } else {
            b += "  data = ";
            if (n.data) append_base64(b, *n.data);
            b += '\n';
        }
        m_out.write(b.data(), static_cast<std::streamsize>(b.size()));
        m_max_zxid = std::max({m_max_zxid, s.mzxid, s.pzxid});
        ++m_owners[s.ephemeral_owner];
    }

    void end_snapshot(const std::string& file, const zab::SnapshotReadResult& r) override {
        if (r.error) {
            m_out << fmt::format("Exception reading {}: {}\n", file, *r.error);
            return;
        }
        if (!m_started) m_out << fmt::format("ZNode Details (count={}):\n", m_count + 1);
        m_out << "----\n";
        m_out << "Session Details (sid, timeout, ephemeralCount):\n";
        for (const auto& s : m_sessions) {
            m_out << fmt::format("{}, {}, {}\n", java_hex16(s.id), s.timeout, m_owners[s.id]);
        }
        const auto slash = file.rfind('/');
        const auto name = zab::parse_data_file_name(file.substr(slash == std::string::npos ? 0 : slash + 1));
        const std::int64_t name_zxid = name ? name->zxid : -1;
        m_out << fmt::format("----\nLast zxid: 0x{:x}\n", static_cast<std::uint64_t>(std::max(name_zxid, m_max_zxid)));
    }

private:
    std::ostream& m_out;
    PrintOptions m_options;
    std::vector<zab::SnapshotSession> m_sessions;
    std::map<std::int64_t, std::int64_t> m_owners;
    std::uint64_t m_count = 0;
    bool m_started = false;
    std::int64_t m_max_zxid = 0;
    std::string m_line;
};

}  // namespace

std::unique_ptr<Printer> make_zk_printer(std::ostream& out, const PrintOptions& options) {
    return std::make_unique<ZkPrinter>(out, options);
}

}  // namespace zabra::tools
