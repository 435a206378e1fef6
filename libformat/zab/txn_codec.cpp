#include "libformat/zab/txn_codec.h"

#include <array>
#include <charconv>

namespace zabra::zab {

namespace {

using Reader = JuteReader<ByteCursor>;

struct OpInfo {
    std::int32_t code;
    std::string_view label;    // ZooDefs.OpCode field name
    std::string_view zk_name;  // Request.op2String
};

constexpr std::array kOps = {
    OpInfo{0, "notification", "notification"},
    OpInfo{1, "create", "create"},
    OpInfo{2, "delete", "delete"},
    OpInfo{3, "exists", "exists"},
    OpInfo{4, "getData", "getData"},
    OpInfo{5, "setData", "setData"},
    OpInfo{6, "getACL", "getACL"},
    OpInfo{7, "setACL", "setACL"},
    OpInfo{8, "getChildren", "getChildren"},
    OpInfo{9, "sync", "sync"},
    OpInfo{11, "ping", "ping"},
    OpInfo{12, "getChildren2", "getChildren2"},
    OpInfo{13, "check", "check"},
    OpInfo{14, "multi", "multi"},
    OpInfo{15, "create2", "create2"},
    OpInfo{16, "reconfig", "reconfig"},
    OpInfo{17, "checkWatches", "checkWatches"},
    OpInfo{18, "removeWatches", "removeWatches"},
    OpInfo{19, "createContainer", "createContainer"},
    OpInfo{20, "deleteContainer", "deleteContainer"},
    OpInfo{21, "createTTL", "createTtl"},
    OpInfo{22, "multiRead", "multiRead"},
    OpInfo{100, "auth", "auth"},
    OpInfo{101, "setWatches", "setWatches"},
    OpInfo{102, "sasl", "sasl"},
    OpInfo{103, "getEphemerals", "getEphemerals"},
    OpInfo{104, "getAllChildrenNumber", "getAllChildrenNumber"},
    OpInfo{105, "setWatches2", "setWatches2"},
    OpInfo{106, "addWatch", ""},
    OpInfo{107, "whoAmI", "whoAmI"},
    OpInfo{-10, "createSession", "createSession"},
    OpInfo{-11, "closeSession", "closeSession"},
    OpInfo{-1, "error", "error"},
};

// Every opcode lies in -11..22 or 100..107: index them directly, as printers
// look one up for every txn.
constexpr std::int32_t kLowFirst = -11, kLowLast = 22, kHighFirst = 100, kHighLast = 107;

struct OpIndex {
    const OpInfo* low[kLowLast - kLowFirst + 1] = {};
    const OpInfo* high[kHighLast - kHighFirst + 1] = {};
    constexpr OpIndex() {
        for (const auto& o : kOps) {
            if (o.code >= kHighFirst) {
                high[o.code - kHighFirst] = &o;
            } else {
                low[o.code - kLowFirst] = &o;
            }
        }
    }
};
constexpr OpIndex kOpIndex;

const OpInfo* find_op(std::int32_t code) {
    if (code >= kLowFirst && code <= kLowLast) return kOpIndex.low[code - kLowFirst];
    if (code >= kHighFirst && code <= kHighLast) return kOpIndex.high[code - kHighFirst];
    return nullptr;
}

CreateTxn read_create(Reader& r, bool v0) {
    CreateTxn t;
    t.path = r.string("path");
    t.data = r.buffer("data");
    t.acl = read_acl_list(r);
    t.ephemeral = r.boolean();
    t.v0 = v0;
    t.parent_cversion = v0 ? -1 : r.i32();
    return t;
}

std::optional<std::vector<std::string>> read_string_vector(Reader& r, const char* what) {
    auto n = r.count(what);
    if (!n) return std::nullopt;
    std::vector<std::string> v;
    for (std::int32_t i = 0; i < *n; ++i) v.push_back(r.string(what));
    return v;
}

MultiTxn read_multi(Reader& r, const TxnDecodeOptions& options);

// Decodes the body for `type` from the cursor, leaving anything after it.
TxnBody read_body(std::int32_t type, Reader& r, const TxnDecodeOptions& options) {
    switch (type) {
    case op::createSession:
        return CreateSessionTxn{r.i32()};
    case op::closeSession:
        return CloseSessionTxn{read_string_vector(r, "paths2Delete")};
    case op::error:
        return ErrorTxn{r.i32()};
    case op::create:
    case op::create2:
        return read_create(r, false);
    case op::createContainer: {
        CreateContainerTxn t;
        t.path = r.string("path");
        t.data = r.buffer("data");
        t.acl = read_acl_list(r);
        t.parent_cversion = r.i32();
        return t;
    }
    case op::createTTL: {
        CreateTtlTxn t;
        t.path = r.string("path");
        t.data = r.buffer("data");
        t.acl = read_acl_list(r);
        t.parent_cversion = r.i32();
        t.ttl = r.i64();
        return t;
    }
    case op::delete_:
    case op::deleteContainer:
        return DeleteTxn{r.string("path")};
    case op::setData:
    case op::reconfig: {
        SetDataTxn t;
        t.path = r.string("path");
        t.data = r.buffer("data");
        t.version = r.i32();
        return t;
    }
    case op::setACL: {
        SetAclTxn t;
        t.path = r.string("path");
        t.acl = read_acl_list(r);
        t.version = r.i32();
        return t;
    }
    case op::check: {
        CheckVersionTxn t;
        t.path = r.string("path");
        t.version = r.i32();
        return t;
    }
    case op::multi:
        return read_multi(r, options);
    default:
        return RawTxn{std::string(as_chars(r.source().rest()))};
    }
}

MultiTxn read_multi(Reader& r, const TxnDecodeOptions& options) {
    MultiTxn m;
    auto n = r.count("multi op vector");
    if (!n) return m;
    m.ops.emplace();
    for (std::int32_t i = 0; i < *n; ++i) {
        SubTxn s;
        s.type = r.i32();
        s.raw = r.buffer("multi op data");
        s.body = RawTxn{s.raw.value_or("")};
        if (!s.raw) {
            s.decode_error = "null sub-txn data";
        } else if (s.type == op::multi) {
            // DataTree rejects it ("Invalid type of op"); decoding it would
            // let hostile input nest without bound.
            s.decode_error = "a multi cannot contain a multi";
        } else {
            try {
                s.body = decode_txn_body(s.type, as_bytes(*s.raw), options);
            } catch (const FormatError& e) {
                s.decode_error = e.what();
            }
        }
        m.ops->push_back(std::move(s));
    }
    return m;
}

// The same grammar as read_body, skipping instead of building.
void skip_acls(Reader& r) {
    auto n = r.count("ACL vector");
    if (!n) return;
    for (std::int32_t i = 0; i < *n; ++i) {
        r.i32();
        r.skip_string("ACL scheme");
        r.skip_string("ACL id");
    }
}

void skip_create(Reader& r, bool v0) {
    r.skip_string("path");
    r.skip_buffer("data");
    skip_acls(r);
    r.boolean();
    if (!v0) r.i32();
}

void skip_string_vector(Reader& r, const char* what) {
    auto n = r.count(what);
    if (!n) return;
    for (std::int32_t i = 0; i < *n; ++i) r.skip_string(what);
}

// Returns false for a type decode_txn keeps raw (unknown); throws on damage.
bool skip_body(std::int32_t type, Reader& r, const TxnDecodeOptions& options, int* bad_op);

bool skip_multi(Reader& r, const TxnDecodeOptions& options, int* bad_op) {
    auto n = r.count("multi op vector");
    if (!n) return true;
    for (std::int32_t i = 0; i < *n; ++i) {
        const std::int32_t type = r.i32();
        const std::uint64_t at = r.source().position();
        const std::int32_t len = r.i32();
        bool ok = len != -1 && type != op::multi;
        if (len != -1) {
            if (len < 0 || static_cast<std::uint32_t>(len) > options.max_buffer) {
                throw FormatError(fmt::format("multi op data at offset {} has unreasonable length {} (limit {})", at,
                                              len, options.max_buffer),
                                  at);
            }
            const ByteSpan sub = r.source().take(static_cast<std::size_t>(len));
            if (ok) {
                try {
                    ByteCursor c(sub);
                    Reader sr(c, options.max_buffer);
                    ok = skip_body(type, sr, options, nullptr) && c.at_end();
                } catch (const FormatError&) {
                    ok = false;
                }
            }
        }
        if (!ok && bad_op != nullptr && *bad_op < 0) *bad_op = i;
    }
    return true;
}

bool skip_body(std::int32_t type, Reader& r, const TxnDecodeOptions& options, int* bad_op) {
    switch (type) {
    case op::createSession:
    case op::error:
        r.i32();
        return true;
    case op::closeSession:
        skip_string_vector(r, "paths2Delete");
        return true;
    case op::create:
    case op::create2:
        skip_create(r, false);
        return true;
    case op::createContainer:
        r.skip_string("path");
        r.skip_buffer("data");
        skip_acls(r);
        r.i32();
        return true;
    case op::createTTL:
        r.skip_string("path");
        r.skip_buffer("data");
        skip_acls(r);
        r.i32();
        r.i64();
        return true;
    case op::delete_:
    case op::deleteContainer:
        r.skip_string("path");
        return true;
    case op::setData:
    case op::reconfig:
        r.skip_string("path");
        r.skip_buffer("data");
        r.i32();
        return true;
    case op::setACL:
        r.skip_string("path");
        skip_acls(r);
        r.i32();
        return true;
    case op::check:
        r.skip_string("path");
        r.i32();
        return true;
    case op::multi:
        return skip_multi(r, options, bad_op);
    default:
        r.source().rest();
        return false;
    }
}

}  // namespace

TxnCheck check_txn(ByteSpan payload, const TxnDecodeOptions& options) {
    TxnCheck t;
    t.header = decode_txn_header(payload);
    ByteCursor c(payload.subspan(kTxnHeaderSize), kTxnHeaderSize);
    Reader r(c, options.max_buffer);
    const std::int32_t type = t.header.type;
    if (type == op::closeSession) {
        if (c.remaining() != 0 && c.remaining() != kTxnDigestSize) {
            skip_string_vector(r, "paths2Delete");
        } else if (c.remaining() == kTxnDigestSize) {
            ByteCursor probe(payload.subspan(kTxnHeaderSize), kTxnHeaderSize);
            Reader pr(probe, options.max_buffer);
            try {
                skip_string_vector(pr, "paths2Delete");
                if (probe.at_end()) c.take(kTxnDigestSize);
            } catch (const FormatError&) {
            }
        }
    } else if (type == op::create) {
        try {
            ByteCursor probe(payload.subspan(kTxnHeaderSize), kTxnHeaderSize);
            Reader pr(probe, options.max_buffer);
            skip_create(pr, false);
            c.take(probe.index());
        } catch (const TruncatedError&) {
            skip_create(r, true);
        }
    } else {
        t.unknown_type = !skip_body(type, r, options, &t.bad_op);
    }
    if (c.remaining() >= kTxnDigestSize) {
        TxnDigest d;
        d.version = r.i32();
        d.tree_digest = r.i64();
        t.digest = d;
    }
    t.trailing = c.remaining();
    return t;
}

std::string op_name(std::int32_t type) {
    const OpInfo* o = find_op(type);
    if (o == nullptr || o->zk_name.empty()) return "unknown " + std::to_string(type);
    return std::string(o->zk_name);
}

std::string_view op_label(std::int32_t type) {
    const OpInfo* o = find_op(type);
    return o == nullptr ? std::string_view("unknown") : o->label;
}

std::optional<std::int32_t> parse_op(std::string_view name) {
    for (const auto& o : kOps) {
        if (name == o.label || (!o.zk_name.empty() && name == o.zk_name)) return o.code;
    }
    std::int32_t v = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
    if (ec == std::errc() && p == name.data() + name.size()) return v;
    return std::nullopt;
}

const std::string* txn_path(const TxnBody& body) {
    return std::visit(
        [](const auto& b) -> const std::string* {
            using T = std::decay_t<decltype(b)>;
            if constexpr (requires { b.path; }) {
                static_assert(std::is_same_v<decltype(b.path), const std::string> ||
                              std::is_same_v<decltype(b.path), std::string>);
                return &b.path;
            } else {
                (void)sizeof(T);
                return nullptr;
            }
        },
        body);
}

TxnHeader decode_txn_header(ByteSpan payload) {
    ByteCursor c(payload);
    Reader r(c, kDefaultMaxBuffer);
    TxnHeader h;
    h.client_id = r.i64();
    h.cxid = r.i32();
    h.zxid = r.i64();
    h.time = r.i64();
    h.type = r.i32();
    return h;
}

TxnBody decode_txn_body(std::int32_t type, ByteSpan bytes, const TxnDecodeOptions& options) {
    ByteCursor c(bytes);
    Reader r(c, options.max_buffer);
    TxnBody body = read_body(type, r, options);
    if (!c.at_end()) {
        throw FormatError(fmt::format("{} leftover bytes after the {} body", c.remaining(), op_label(type)),
                          c.position());
    }
    return body;
}

Txn decode_txn(ByteSpan payload, const TxnDecodeOptions& options) {
    Txn t;
    t.header = decode_txn_header(payload);
    ByteCursor c(payload.subspan(kTxnHeaderSize), kTxnHeaderSize);
    Reader r(c, options.max_buffer);
    const std::int32_t type = t.header.type;

    if (type == op::closeSession) {
        // The body is optional and has no marker: take it only when what is
        // left after it is nothing or exactly a digest.
        CloseSessionTxn body;
        if (c.remaining() != 0 && c.remaining() != kTxnDigestSize) {
            body = std::get<CloseSessionTxn>(read_body(type, r, options));
        } else if (c.remaining() == kTxnDigestSize) {
            ByteCursor probe(payload.subspan(kTxnHeaderSize), kTxnHeaderSize);
            Reader pr(probe, options.max_buffer);
            try {
                auto parsed = std::get<CloseSessionTxn>(read_body(type, pr, options));
                if (probe.at_end()) {
                    body = std::move(parsed);
                    c.take(kTxnDigestSize);
                }
            } catch (const FormatError&) {
            }
        }
        t.body = std::move(body);
    } else if (type == op::create) {
        // CreateTxnV0 (no parentCVersion) is tried when the V1 body does not fit,
        // as SerializeUtils does on EOF.
        try {
            ByteCursor probe(payload.subspan(kTxnHeaderSize), kTxnHeaderSize);
            Reader pr(probe, options.max_buffer);
            t.body = read_create(pr, false);
            c.take(probe.index());
        } catch (const TruncatedError&) {
            t.body = read_create(r, true);
        }
    } else {
        t.body = read_body(type, r, options);
    }

    if (c.remaining() >= kTxnDigestSize) {
        TxnDigest d;
        d.version = r.i32();
        d.tree_digest = r.i64();
        t.digest = d;
    }
    if (!c.at_end()) t.trailing = std::string(as_chars(c.rest()));
    return t;
}

void encode_txn_body(const TxnBody& body, std::string& out) {
    JuteWriter w(out);
    std::visit(
        [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, CreateSessionTxn>) {
                w.i32(b.timeout);
            } else if constexpr (std::is_same_v<T, CloseSessionTxn>) {
                if (b.paths_to_delete) {
                    const auto& v = *b.paths_to_delete;
                    if (!v) {
                        w.i32(-1);
                    } else {
                        w.i32(static_cast<std::int32_t>(v->size()));
                        for (const auto& p : *v) w.string(p);
                    }
                }
            } else if constexpr (std::is_same_v<T, ErrorTxn>) {
                w.i32(b.err);
            } else if constexpr (std::is_same_v<T, CreateTxn>) {
                w.string(b.path);
                w.buffer(b.data);
                write_acl_list(w, b.acl);
                w.boolean(b.ephemeral);
                if (!b.v0) w.i32(b.parent_cversion);
            } else if constexpr (std::is_same_v<T, CreateContainerTxn>) {
                w.string(b.path);
                w.buffer(b.data);
                write_acl_list(w, b.acl);
                w.i32(b.parent_cversion);
            } else if constexpr (std::is_same_v<T, CreateTtlTxn>) {
                w.string(b.path);
                w.buffer(b.data);
                write_acl_list(w, b.acl);
                w.i32(b.parent_cversion);
                w.i64(b.ttl);
            } else if constexpr (std::is_same_v<T, DeleteTxn>) {
                w.string(b.path);
            } else if constexpr (std::is_same_v<T, SetDataTxn>) {
                w.string(b.path);
                w.buffer(b.data);
                w.i32(b.version);
            } else if constexpr (std::is_same_v<T, SetAclTxn>) {
                w.string(b.path);
                write_acl_list(w, b.acl);
                w.i32(b.version);
            } else if constexpr (std::is_same_v<T, CheckVersionTxn>) {
                w.string(b.path);
                w.i32(b.version);
            } else if constexpr (std::is_same_v<T, MultiTxn>) {
                if (!b.ops) return w.i32(-1);
                w.i32(static_cast<std::int32_t>(b.ops->size()));
                for (const auto& s : *b.ops) {
                    w.i32(s.type);
                    if (!s.raw || !s.decode_error.empty()) {
                        w.buffer(s.raw);
                    } else {
                        std::string sub;
                        encode_txn_body(s.body, sub);
                        w.string(sub);
                    }
                }
            } else {
                static_assert(std::is_same_v<T, RawTxn>);
                w.raw(b.bytes);
            }
        },
        body);
}

std::string encode_txn(const Txn& txn) {
    std::string out;
    JuteWriter w(out);
    w.i64(txn.header.client_id);
    w.i32(txn.header.cxid);
    w.i64(txn.header.zxid);
    w.i64(txn.header.time);
    w.i32(txn.header.type);
    encode_txn_body(txn.body, out);
    if (txn.digest) {
        w.i32(txn.digest->version);
        w.i64(txn.digest->tree_digest);
    }
    out += txn.trailing;
    return out;
}

}  // namespace zabra::zab
