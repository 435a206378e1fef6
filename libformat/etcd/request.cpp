#include "libformat/etcd/request.h"

#include "libformat/etcd/proto.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace zabra::etcd {

namespace {

using Kind = SummaryField::Kind;

// A txn may hold txns (RequestOp.request_txn, 3.3+) and etcd sets no depth
// limit; we stop at 16 so hostile bytes cannot make the decoder recurse
// without bound. Deeper is a parse failure.
constexpr int kMaxTxnDepth = 16;

// A message's bytes and the offset of its first byte inside the entry data,
// so every error names an offset the user can find.
struct Message {
    ByteSpan bytes;
    std::uint64_t base = 0;
};

Message nested(const ProtoField& f, const Message& parent) {
    const ByteSpan b = want_bytes(f);
    return {b, nested_offset(f, parent.base, parent.bytes)};
}

bool want_bool(const ProtoField& f) { return want_varint(f) != 0; }

SummaryField& add(RequestSummary& s, const char* name, Kind kind) {
    SummaryField& f = s.fields.emplace_back();
    f.name = name;
    f.kind = kind;
    return f;
}
void add_bytes(RequestSummary& s, const char* name, ByteSpan b) { add(s, name, Kind::Bytes).bytes = as_chars(b); }
void add_unsigned(RequestSummary& s, const char* name, std::uint64_t v) { add(s, name, Kind::Unsigned).u = v; }
// int64 fields arrive as the two's-complement varint.
void add_signed(RequestSummary& s, const char* name, std::uint64_t raw) {
    add(s, name, Kind::Signed).i = static_cast<std::int64_t>(raw);
}
void add_id(RequestSummary& s, const char* name, std::uint64_t v) { add(s, name, Kind::Id).u = v; }
void add_bool(RequestSummary& s, const char* name, bool v) { add(s, name, Kind::Bool).u = v ? 1 : 0; }
void add_name(RequestSummary& s, const char* name, std::string text) { add(s, name, Kind::Name).bytes = std::move(text); }
// etcd allows 128 ops per txn by default (--max-txn-ops); past this many a
// list keeps only a count, so hostile input cannot make summaries huge.
constexpr std::size_t kMaxOpsPerList = 1024;

struct OpList {
    std::vector<RequestSummary> ops;
    std::uint64_t omitted = 0;
    void push(RequestSummary&& op) {
        if (ops.size() < kMaxOpsPerList) {
            ops.push_back(std::move(op));
        } else {
            ++omitted;
        }
    }
};

void add_ops(RequestSummary& s, const char* name, OpList list) {
    add(s, name, Kind::Ops).ops = std::move(list.ops);
    if (list.omitted) add(s, (std::string(name) + "_omitted").c_str(), Kind::Unsigned).u = list.omitted;
}

// An enum value's name; a value the proto does not define is shown as its
// number, as Go's String() does.
std::string enum_name(std::uint64_t v, std::initializer_list<const char*> names) {
    if (v < names.size()) return names.begin()[v];
    return std::to_string(v);
}

const std::initializer_list<const char*> kConfChangeTypes = {"AddNode", "RemoveNode", "UpdateNode", "AddLearnerNode"};

// The InternalRaftRequest fields that hold a request (all but ID=1 and
// header=100); unknown numbers are skipped, as protobuf does.
bool is_request_field(std::uint32_t n) {
    return (n >= 2 && n <= 11) || n == 1000 || (n >= 1011 && n <= 1013) || (n >= 1100 && n <= 1107) ||
           (n >= 1200 && n <= 1204) || (n >= 1300 && n <= 1302) || n == 9900;
}

RequestSummary make(PayloadKind kind, std::string op) {
    RequestSummary s;
    s.kind = kind;
    s.op = std::move(op);
    return s;
}

// v2 methods are short upper-case words (GET, PUT, QGET, SYNC, ...). Only
// such a word goes into `op`, which printers show unescaped; anything else
// stays a Bytes field.
bool plain_method(ByteSpan m) {
    if (m.empty() || m.size() > 16) return false;
    for (std::uint8_t c : m) {
        if (c < 'A' || c > 'Z') return false;
    }
    return true;
}

// Messages whose fields are all strings or bytes, each shown under a name:
// always, or only when non-empty, or as a secret (see Decoder::secret).
// Later copies of a field replace earlier ones, as protobuf merging does.
struct BytesField {
    std::uint32_t number;
    const char* name;
    bool always;
    bool secret = false;
};

class Decoder {
public:
    explicit Decoder(const SummaryOptions& options) : m_options(options) {}

    // All of these throw FormatError when the bytes are not that message.
    RequestSummary internal_raft_request(Message m) const;
    RequestSummary v2_request(Message m, PayloadKind kind, bool require_method) const;
    RequestSummary conf_change(Message m) const;
    RequestSummary conf_change_v2(Message m) const;

private:
    // InternalRaftRequest request field `number` (is_request_field), or a
    // RequestOp member renumbered to it, summarised.
    RequestSummary request(std::uint32_t number, Message m, int txn_depth) const;

    void range(Message m, RequestSummary& s) const;
    void put(Message m, RequestSummary& s) const;
    void delete_range(Message m, RequestSummary& s) const;
    void txn(Message m, RequestSummary& s, int txn_depth) const;
    RequestSummary compare(Message m) const;
    RequestSummary request_op(Message m, int txn_depth) const;
    void lease_checkpoint(Message m, RequestSummary& s) const;
    void auth_user_add(Message m, RequestSummary& s) const;
    void auth_role_grant_permission(Message m, RequestSummary& s) const;
    void cluster_member_attr_set(Message m, RequestSummary& s) const;
    void secret(RequestSummary& s, const char* name, ByteSpan value) const;
    void bytes_fields(Message m, RequestSummary& s, std::initializer_list<BytesField> spec) const;

    const SummaryOptions& m_options;
};

void Decoder::secret(RequestSummary& s, const char* name, ByteSpan value) const {
    if (value.empty()) return;
    if (m_options.show_secrets) {
        add_bytes(s, name, value);
    } else {
        add(s, name, Kind::Redacted).bytes = std::to_string(value.size());
    }
}

void Decoder::bytes_fields(Message m, RequestSummary& s, std::initializer_list<BytesField> spec) const {
    ByteSpan values[3];  // no such message has more fields
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        std::size_t i = 0;
        for (const BytesField& b : spec) {
            if (b.number == f.number) values[i] = want_bytes(f);
            ++i;
        }
    }
    std::size_t i = 0;
    for (const BytesField& b : spec) {
        if (b.secret) {
            secret(s, b.name, values[i]);
        } else if (b.always || !values[i].empty()) {
            add_bytes(s, b.name, values[i]);
        }
        ++i;
    }
}

void Decoder::range(Message m, RequestSummary& s) const {
    ByteSpan key, range_end;
    std::uint64_t number_fields[14] = {};  // by field number: 3..6 and 10..13
    bool flags[10] = {};                   // by field number: 7..9
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: key = want_bytes(f); break;
        case 2: range_end = want_bytes(f); break;
        case 3: case 4: case 5: case 6: case 10: case 11: case 12: case 13: number_fields[f.number] = want_varint(f); break;
        case 7: case 8: case 9: flags[f.number] = want_bool(f); break;
        default: break;
        }
    }
    add_bytes(s, "key", key);
    if (!range_end.empty()) add_bytes(s, "range_end", range_end);
    if (number_fields[3]) add_signed(s, "limit", number_fields[3]);
    if (number_fields[4]) add_signed(s, "revision", number_fields[4]);
    if (number_fields[5]) add_name(s, "sort_order", enum_name(number_fields[5], {"NONE", "ASCEND", "DESCEND"}));
    if (number_fields[6]) {
        add_name(s, "sort_target", enum_name(number_fields[6], {"KEY", "VERSION", "CREATE", "MOD", "VALUE"}));
    }
    if (flags[7]) add_bool(s, "serializable", true);
    if (flags[8]) add_bool(s, "keys_only", true);
    if (flags[9]) add_bool(s, "count_only", true);
    if (number_fields[10]) add_signed(s, "min_mod_revision", number_fields[10]);
    if (number_fields[11]) add_signed(s, "max_mod_revision", number_fields[11]);
    if (number_fields[12]) add_signed(s, "min_create_revision", number_fields[12]);
    if (number_fields[13]) add_signed(s, "max_create_revision", number_fields[13]);
}

void Decoder::put(Message m, RequestSummary& s) const {
    ByteSpan key, value;
    std::uint64_t lease = 0;
    bool prev_kv = false, ignore_value = false, ignore_lease = false;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: key = want_bytes(f); break;
        case 2: value = want_bytes(f); break;
        case 3: lease = want_varint(f); break;
        case 4: prev_kv = want_bool(f); break;
        case 5: ignore_value = want_bool(f); break;
        case 6: ignore_lease = want_bool(f); break;
        default: break;
        }
    }
    add_bytes(s, "key", key);
    add_bytes(s, "value", value);
    if (lease) add_id(s, "lease", lease);
    if (prev_kv) add_bool(s, "prev_kv", true);
    if (ignore_value) add_bool(s, "ignore_value", true);
    if (ignore_lease) add_bool(s, "ignore_lease", true);
}

void Decoder::delete_range(Message m, RequestSummary& s) const {
    ByteSpan key, range_end;
    bool prev_kv = false;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: key = want_bytes(f); break;
        case 2: range_end = want_bytes(f); break;
        case 3: prev_kv = want_bool(f); break;
        default: break;
        }
    }
    add_bytes(s, "key", key);
    if (!range_end.empty()) add_bytes(s, "range_end", range_end);
    if (prev_kv) add_bool(s, "prev_kv", true);
}

RequestSummary Decoder::compare(Message m) const {
    std::uint64_t result = 0, target = 0;
    ByteSpan key, range_end;
    // target_union is a oneof: the last member on the wire is the one set,
    // and it is set even when zero.
    std::uint32_t union_number = 0;
    std::uint64_t union_value = 0;
    ByteSpan union_bytes;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: result = want_varint(f); break;
        case 2: target = want_varint(f); break;
        case 3: key = want_bytes(f); break;
        case 4: case 5: case 6: case 8:
            union_value = want_varint(f);
            union_number = f.number;
            break;
        case 7:
            union_bytes = want_bytes(f);
            union_number = f.number;
            break;
        case 64: range_end = want_bytes(f); break;
        default: break;
        }
    }
    RequestSummary c = make(PayloadKind::InternalRaftRequest, "compare");
    add_name(c, "result", enum_name(result, {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"}));
    add_name(c, "target", enum_name(target, {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"}));
    add_bytes(c, "key", key);
    switch (union_number) {
    case 4: add_signed(c, "version", union_value); break;
    case 5: add_signed(c, "create_revision", union_value); break;
    case 6: add_signed(c, "mod_revision", union_value); break;
    case 7: add_bytes(c, "value", union_bytes); break;
    case 8: add_id(c, "lease", union_value); break;
    default: break;
    }
    if (!range_end.empty()) add_bytes(c, "range_end", range_end);
    return c;
}

RequestSummary Decoder::request_op(Message m, int txn_depth) const {
    // `request` is a oneof: the last member on the wire wins; every member
    // must still parse.
    std::optional<RequestSummary> last;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        if (f.number > 4) continue;
        // RequestOp numbers its members 1..4; the IRR numbers them 3..6.
        last = request(f.number + 2, nested(f, m), txn_depth);
    }
    if (!last) return make(PayloadKind::InternalRaftRequest, "empty");
    return std::move(*last);
}

void Decoder::txn(Message m, RequestSummary& s, int txn_depth) const {
    if (txn_depth > kMaxTxnDepth) {
        throw FormatError(fmt::format("txn at offset {} is nested more than {} deep", m.base, kMaxTxnDepth), m.base);
    }
    OpList compares, success, failure;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: compares.push(compare(nested(f, m))); break;
        case 2: success.push(request_op(nested(f, m), txn_depth)); break;
        case 3: failure.push(request_op(nested(f, m), txn_depth)); break;
        default: break;
        }
    }
    add_ops(s, "compares", std::move(compares));
    add_ops(s, "success", std::move(success));
    add_ops(s, "failure", std::move(failure));
}

void Decoder::lease_checkpoint(Message m, RequestSummary& s) const {
    OpList checkpoints;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        if (f.number != 1) continue;
        const Message cp = nested(f, m);
        std::uint64_t id = 0, remaining_ttl = 0;
        ProtoReader cr(cp.bytes, cp.base);
        ProtoField g;
        while (cr.next(g)) {
            if (g.number == 1) id = want_varint(g);
            if (g.number == 2) remaining_ttl = want_varint(g);
        }
        RequestSummary c = make(PayloadKind::InternalRaftRequest, "checkpoint");
        add_id(c, "id", id);
        add_signed(c, "remaining_ttl", remaining_ttl);
        checkpoints.push(std::move(c));
    }
    add_ops(s, "checkpoints", std::move(checkpoints));
}

void Decoder::auth_user_add(Message m, RequestSummary& s) const {
    ByteSpan name, password, hashed;
    bool no_password = false;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: name = want_bytes(f); break;
        case 2: password = want_bytes(f); break;
        case 3: {
            const Message options = nested(f, m);
            ProtoReader o(options.bytes, options.base);
            ProtoField g;
            while (o.next(g)) {
                if (g.number == 1) no_password = want_bool(g);
            }
            break;
        }
        case 4: hashed = want_bytes(f); break;
        default: break;
        }
    }
    add_bytes(s, "name", name);
    secret(s, "password", password);
    if (no_password) add_bool(s, "no_password", true);
    secret(s, "hashed_password", hashed);
}

void Decoder::auth_role_grant_permission(Message m, RequestSummary& s) const {
    ByteSpan role, key, range_end;
    std::uint64_t perm_type = 0;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        if (f.number == 1) role = want_bytes(f);
        if (f.number != 2) continue;
        const Message perm = nested(f, m);
        ProtoReader p(perm.bytes, perm.base);
        ProtoField g;
        while (p.next(g)) {
            switch (g.number) {
            case 1: perm_type = want_varint(g); break;
            case 2: key = want_bytes(g); break;
            case 3: range_end = want_bytes(g); break;
            default: break;
            }
        }
    }
    add_bytes(s, "role", role);
    add_name(s, "perm", enum_name(perm_type, {"READ", "WRITE", "READWRITE"}));
    add_bytes(s, "key", key);
    if (!range_end.empty()) add_bytes(s, "range_end", range_end);
}

void Decoder::cluster_member_attr_set(Message m, RequestSummary& s) const {
    std::uint64_t member = 0;
    ByteSpan name;
    std::vector<ByteSpan> client_urls;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        if (f.number == 1) member = want_varint(f);
        if (f.number != 2) continue;
        const Message attributes = nested(f, m);
        ProtoReader a(attributes.bytes, attributes.base);
        ProtoField g;
        while (a.next(g)) {
            if (g.number == 1) name = want_bytes(g);
            if (g.number == 2) client_urls.push_back(want_bytes(g));
        }
    }
    add_id(s, "member", member);
    add_bytes(s, "name", name);
    for (ByteSpan url : client_urls) add_bytes(s, "client_url", url);
}

RequestSummary Decoder::request(std::uint32_t number, Message m, int txn_depth) const {
    const auto irr = [](const char* op) { return make(PayloadKind::InternalRaftRequest, op); };
    RequestSummary s;
    switch (number) {
    case 2: return v2_request(m, PayloadKind::InternalRaftRequest, false);
    case 3: s = irr("range"); range(m, s); break;
    case 4: s = irr("put"); put(m, s); break;
    case 5: s = irr("delete_range"); delete_range(m, s); break;
    case 6: s = irr("txn"); txn(m, s, txn_depth + 1); break;
    case 7: {
        s = irr("compaction");
        std::uint64_t revision = 0;
        bool physical = false;
        ProtoReader r(m.bytes, m.base);
        ProtoField f;
        while (r.next(f)) {
            if (f.number == 1) revision = want_varint(f);
            if (f.number == 2) physical = want_bool(f);
        }
        add_signed(s, "revision", revision);
        if (physical) add_bool(s, "physical", true);
        break;
    }
    case 8: {
        s = irr("lease_grant");
        std::uint64_t ttl = 0, id = 0;
        ProtoReader r(m.bytes, m.base);
        ProtoField f;
        while (r.next(f)) {
            if (f.number == 1) ttl = want_varint(f);
            if (f.number == 2) id = want_varint(f);
        }
        add_id(s, "id", id);
        add_signed(s, "ttl", ttl);
        break;
    }
    case 9: {
        s = irr("lease_revoke");
        std::uint64_t id = 0;
        ProtoReader r(m.bytes, m.base);
        ProtoField f;
        while (r.next(f)) {
            if (f.number == 1) id = want_varint(f);
        }
        add_id(s, "id", id);
        break;
    }
    case 10: {
        s = irr("alarm");
        std::uint64_t action = 0, member = 0, alarm = 0;
        ProtoReader r(m.bytes, m.base);
        ProtoField f;
        while (r.next(f)) {
            if (f.number == 1) action = want_varint(f);
            if (f.number == 2) member = want_varint(f);
            if (f.number == 3) alarm = want_varint(f);
        }
        add_name(s, "action", enum_name(action, {"GET", "ACTIVATE", "DEACTIVATE"}));
        add_id(s, "member", member);
        add_name(s, "alarm", enum_name(alarm, {"NONE", "NOSPACE", "CORRUPT"}));
        break;
    }
    case 11: s = irr("lease_checkpoint"); lease_checkpoint(m, s); break;
    case 1000: s = irr("auth_enable"); bytes_fields(m, s, {}); break;
    case 1011: s = irr("auth_disable"); bytes_fields(m, s, {}); break;
    case 1012:
        s = irr("authenticate");
        bytes_fields(m, s, {{1, "name", true}, {2, "password", false, true}, {3, "simple_token", false, true}});
        break;
    case 1013: s = irr("auth_status"); bytes_fields(m, s, {}); break;
    case 1100: s = irr("auth_user_add"); auth_user_add(m, s); break;
    case 1101: s = irr("auth_user_delete"); bytes_fields(m, s, {{1, "name", true}}); break;
    case 1102: s = irr("auth_user_get"); bytes_fields(m, s, {{1, "name", true}}); break;
    case 1103:
        s = irr("auth_user_change_password");
        bytes_fields(m, s, {{1, "name", true}, {2, "password", false, true}, {3, "hashed_password", false, true}});
        break;
    case 1104: s = irr("auth_user_grant_role"); bytes_fields(m, s, {{1, "name", true}, {2, "role", true}}); break;
    case 1105: s = irr("auth_user_revoke_role"); bytes_fields(m, s, {{1, "name", true}, {2, "role", true}}); break;
    case 1106: s = irr("auth_user_list"); bytes_fields(m, s, {}); break;
    case 1107: s = irr("auth_role_list"); bytes_fields(m, s, {}); break;
    case 1200: s = irr("auth_role_add"); bytes_fields(m, s, {{1, "role", true}}); break;
    case 1201: s = irr("auth_role_delete"); bytes_fields(m, s, {{1, "role", true}}); break;
    case 1202: s = irr("auth_role_get"); bytes_fields(m, s, {{1, "role", true}}); break;
    case 1203: s = irr("auth_role_grant_permission"); auth_role_grant_permission(m, s); break;
    case 1204:
        s = irr("auth_role_revoke_permission");
        bytes_fields(m, s, {{1, "role", true}, {2, "key", true}, {3, "range_end", false}});
        break;
    case 1300: s = irr("cluster_version_set"); bytes_fields(m, s, {{1, "ver", true}}); break;
    case 1301: s = irr("cluster_member_attr_set"); cluster_member_attr_set(m, s); break;
    case 1302: {
        s = irr("downgrade_info_set");
        bool enabled = false;
        ByteSpan ver;
        ProtoReader r(m.bytes, m.base);
        ProtoField f;
        while (r.next(f)) {
            if (f.number == 1) enabled = want_bool(f);
            if (f.number == 2) ver = want_bytes(f);
        }
        add_bool(s, "enabled", enabled);
        add_bytes(s, "ver", ver);
        break;
    }
    case 9900: s = irr("downgrade_version_test"); bytes_fields(m, s, {{1, "ver", true}}); break;
    default: throw FormatError(fmt::format("field {} is not a request", number), m.base);  // callers check first
    }
    return s;
}

RequestSummary Decoder::internal_raft_request(Message m) const {
    // etcd writes exactly one request field; should there be more, the
    // first names the op and the others are listed, not dropped.
    std::optional<RequestSummary> first;
    OpList extra;
    bool has_header = false;
    std::uint64_t header_id = 0, auth_revision = 0, irr_id = 0;
    ByteSpan username;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        if (f.number == 1) {
            irr_id = want_varint(f);
        } else if (f.number == 100) {
            has_header = true;
            const Message header = nested(f, m);
            ProtoReader h(header.bytes, header.base);
            ProtoField g;
            while (h.next(g)) {
                switch (g.number) {
                case 1: header_id = want_varint(g); break;
                case 2: username = want_bytes(g); break;
                case 3: auth_revision = want_varint(g); break;
                default: break;
                }
            }
        } else if (is_request_field(f.number)) {
            // nested() fails on any wire type but length-delimited: that is
            // what tells a gogo v2 Request (Dir=5 is a varint) from an IRR.
            RequestSummary s = request(f.number, nested(f, m), 0);
            if (!first) {
                first = std::move(s);
            } else {
                extra.push(std::move(s));
            }
        }
    }
    if (!first) throw FormatError("no request field", m.base);
    RequestSummary s = std::move(*first);
    s.kind = PayloadKind::InternalRaftRequest;
    if (has_header) add_id(s, "req", header_id);
    if (!username.empty()) add_bytes(s, "user", username);
    if (auth_revision) add_unsigned(s, "auth_revision", auth_revision);
    if (irr_id) add_id(s, "irr_id", irr_id);
    if (!extra.ops.empty()) add_ops(s, "extra_requests", std::move(extra));
    return s;
}

RequestSummary Decoder::v2_request(Message m, PayloadKind kind, bool require_method) const {
    std::uint64_t id = 0, prev_index = 0, expiration = 0, since = 0, time = 0;
    std::optional<ByteSpan> method;
    ByteSpan path, val, prev_value;
    bool dir = false, wait = false, recursive = false, sorted = false, quorum = false, stream = false;
    std::optional<bool> prev_exist, refresh;  // nullable in gogo: presence means something
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: id = want_varint(f); break;
        case 2: method = want_bytes(f); break;
        case 3: path = want_bytes(f); break;
        case 4: val = want_bytes(f); break;
        case 5: dir = want_bool(f); break;
        case 6: prev_value = want_bytes(f); break;
        case 7: prev_index = want_varint(f); break;
        case 8: prev_exist = want_bool(f); break;
        case 9: expiration = want_varint(f); break;
        case 10: wait = want_bool(f); break;
        case 11: since = want_varint(f); break;
        case 12: recursive = want_bool(f); break;
        case 13: sorted = want_bool(f); break;
        case 14: quorum = want_bool(f); break;
        case 15: time = want_varint(f); break;
        case 16: stream = want_bool(f); break;
        case 17: refresh = want_bool(f); break;
        default: break;
        }
    }
    // gogo always writes Method: without it, bytes that merely fail to be an
    // InternalRaftRequest would pass as a v2 request made of unknown fields.
    if (require_method && !method) throw FormatError("no Method field", m.base);
    const ByteSpan method_bytes = method.value_or(ByteSpan{});
    RequestSummary s;
    s.kind = kind;
    if (plain_method(method_bytes)) {
        s.op = "v2 " + std::string(as_chars(method_bytes));
    } else {
        s.op = "v2";
        add_bytes(s, "method", method_bytes);
    }
    add_bytes(s, "path", path);
    // v2 auth kept each user, with its password hash, as a JSON value under /2/users/.
    if (as_chars(path).starts_with("/2/users/")) {
        secret(s, "val", val);
    } else if (!val.empty()) {
        add_bytes(s, "val", val);
    }
    if (dir) add_bool(s, "dir", true);
    if (!prev_value.empty()) add_bytes(s, "prev_value", prev_value);
    if (prev_index) add_unsigned(s, "prev_index", prev_index);
    if (prev_exist) add_bool(s, "prev_exist", *prev_exist);
    if (expiration) add_signed(s, "expiration", expiration);
    if (wait) add_bool(s, "wait", true);
    if (since) add_unsigned(s, "since", since);
    if (recursive) add_bool(s, "recursive", true);
    if (sorted) add_bool(s, "sorted", true);
    if (quorum) add_bool(s, "quorum", true);
    if (time) add_signed(s, "time", time);
    if (stream) add_bool(s, "stream", true);
    if (refresh) add_bool(s, "refresh", *refresh);
    if (id) add_id(s, "req", id);
    return s;
}

RequestSummary Decoder::conf_change(Message m) const {
    std::uint64_t id = 0, type = 0, node_id = 0;
    std::optional<ByteSpan> context;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: id = want_varint(f); break;
        case 2: type = want_varint(f); break;
        case 3: node_id = want_varint(f); break;
        case 4: context = want_bytes(f); break;
        default: break;
        }
    }
    RequestSummary s = make(PayloadKind::ConfChange, "conf_change");
    add_name(s, "type", enum_name(type, kConfChangeTypes));
    add_id(s, "node_id", node_id);
    add_id(s, "id", id);
    if (context) add_bytes(s, "context", *context);
    return s;
}

RequestSummary Decoder::conf_change_v2(Message m) const {
    std::uint64_t transition = 0;
    OpList changes;
    std::optional<ByteSpan> context;
    ProtoReader r(m.bytes, m.base);
    ProtoField f;
    while (r.next(f)) {
        switch (f.number) {
        case 1: transition = want_varint(f); break;
        case 2: {
            const Message single = nested(f, m);
            std::uint64_t type = 0, node_id = 0;
            ProtoReader c(single.bytes, single.base);
            ProtoField g;
            while (c.next(g)) {
                if (g.number == 1) type = want_varint(g);
                if (g.number == 2) node_id = want_varint(g);
            }
            RequestSummary change = make(PayloadKind::ConfChangeV2, "conf_change_single");
            add_name(change, "type", enum_name(type, kConfChangeTypes));
            add_id(change, "node_id", node_id);
            changes.push(std::move(change));
            break;
        }
        case 3: context = want_bytes(f); break;
        default: break;
        }
    }
    RequestSummary s = make(PayloadKind::ConfChangeV2, "conf_change_v2");
    add_name(s, "transition", enum_name(transition, {"Auto", "JointImplicit", "JointExplicit"}));
    add_ops(s, "changes", std::move(changes));
    if (context) add_bytes(s, "context", *context);
    return s;
}

RequestSummary unknown(std::string error) {
    RequestSummary s = make(PayloadKind::Unknown, "unknown");
    s.error = std::move(error);
    return s;
}

}  // namespace

const char* payload_kind_name(PayloadKind k) {
    switch (k) {
    case PayloadKind::Noop: return "noop";
    case PayloadKind::InternalRaftRequest: return "irr";
    case PayloadKind::V2Request: return "v2";
    case PayloadKind::ConfChange: return "conf_change";
    case PayloadKind::ConfChangeV2: return "conf_change_v2";
    case PayloadKind::Unknown: return "unknown";
    }
    return "unknown";
}

RequestSummary summarize_entry(std::uint32_t entry_type, ByteSpan data, const SummaryOptions& options) {
    const Decoder decoder(options);
    const Message m{data, 0};
    switch (entry_type) {
    case 0: {
        if (data.empty()) return make(PayloadKind::Noop, "noop");
        // etcd's own order (applyEntryNormal): InternalRaftRequest first,
        // then the v2 Request it falls back to.
        std::string irr_error;
        try {
            return decoder.internal_raft_request(m);
        } catch (const FormatError& e) {
            irr_error = e.what();
        }
        try {
            return decoder.v2_request(m, PayloadKind::V2Request, true);
        } catch (const FormatError& e) {
            return unknown(fmt::format("not an InternalRaftRequest ({}); not a v2 Request ({})", irr_error, e.what()));
        }
    }
    case 1:
        try {
            return decoder.conf_change(m);
        } catch (const FormatError& e) {
            return unknown(fmt::format("not a ConfChange ({})", e.what()));
        }
    case 2:
        try {
            return decoder.conf_change_v2(m);
        } catch (const FormatError& e) {
            return unknown(fmt::format("not a ConfChangeV2 ({})", e.what()));
        }
    default:
        return unknown(fmt::format("entry type {} is none of EntryNormal (0), EntryConfChange (1), EntryConfChangeV2 (2)",
                                   entry_type));
    }
}

std::vector<std::string> entry_type_names(const RequestSummary& s, std::uint32_t entry_type) {
    // etcd-dump-logs' ConfigChange matches type 1 only; we let it take the
    // ConfChangeV2 entries too, which a user filtering conf changes wants.
    if (entry_type == 1 || entry_type == 2) return {"ConfigChange"};
    if (entry_type != 0) return {};
    std::vector<std::string> names{"Normal"};
    if (s.kind == PayloadKind::V2Request) names.emplace_back("Request");
    if (s.kind != PayloadKind::InternalRaftRequest) return names;
    names.emplace_back("InternalRaftRequest");
    const auto add_irr_name = [&names](const std::string& op) {
        static constexpr std::pair<std::string_view, std::string_view> kIrrNames[] = {
            {"range", "IRRRange"},           {"put", "IRRPut"},
            {"delete_range", "IRRDeleteRange"}, {"txn", "IRRTxn"},
            {"compaction", "IRRCompaction"}, {"lease_grant", "IRRLeaseGrant"},
            {"lease_revoke", "IRRLeaseRevoke"}, {"lease_checkpoint", "IRRLeaseCheckpoint"},
        };
        for (const auto& [irr_op, name] : kIrrNames) {
            if (op == irr_op && std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
        }
    };
    add_irr_name(s.op);
    // An entry holding several request fields matches each one's filter, as
    // in etcd-dump-logs.
    for (const SummaryField& f : s.fields) {
        if (f.name != "extra_requests") continue;
        for (const RequestSummary& extra : f.ops) add_irr_name(extra.op);
    }
    return names;
}

}  // namespace zabra::etcd
