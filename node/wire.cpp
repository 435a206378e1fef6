#include "node/wire.h"

#include "libformat/common/byte_cursor.h"
#include "libformat/zab/jute.h"

namespace zabra::node {

namespace {

using Reader = zab::JuteReader<ByteCursor>;

// Java clients send a null string (-1) where they hold null, e.g. kazoo's
// "auth" ACL id or an empty path; jute reads it as null and ZooKeeper fails
// the request, not the connection. Null reads as "" here; the processor
// refuses an empty path.
std::string nullable_string(Reader& r, const char* what) { return r.buffer(what).value_or(std::string()); }

zab::AclList read_acls(Reader& r) {
    auto n = r.count("ACL vector");
    if (!n) return std::nullopt;
    std::vector<zab::Acl> acls;
    for (std::int32_t i = 0; i < *n; ++i) {
        zab::Acl a;
        a.perms = r.i32();
        a.scheme = nullable_string(r, "ACL scheme");
        a.id = nullable_string(r, "ACL id");
        acls.push_back(std::move(a));
    }
    return acls;
}

CreateRequest read_create(Reader& r, bool ttl) {
    CreateRequest c;
    c.path = nullable_string(r, "path");
    c.data = r.buffer("data");
    c.acl = read_acls(r);
    c.flags = r.i32();
    if (ttl) c.ttl = r.i64();
    return c;
}

PathWatchRequest read_path_watch(Reader& r) {
    PathWatchRequest p;
    p.path = nullable_string(r, "path");
    p.watch = r.boolean();
    return p;
}

RequestBody read_body(std::int32_t type, Reader& r, bool in_multi);

MultiOps read_multi(Reader& r) {
    MultiOps ops;
    for (;;) {
        const std::int32_t type = r.i32();
        const bool done = r.boolean();
        r.i32();  // err
        if (done) break;
        if (type == opcode::multi) throw FormatError("multi inside multi", r.source().position());
        ops.push_back({type, read_body(type, r, true)});
    }
    return ops;
}

RequestBody read_body(std::int32_t type, Reader& r, bool in_multi) {
    switch (type) {
    case opcode::create:
    case opcode::create2:
    case opcode::createContainer: return read_create(r, false);
    case opcode::createTTL: return read_create(r, true);
    case opcode::delete_:
    case opcode::deleteContainer: {
        DeleteRequest d;
        d.path = nullable_string(r, "path");
        if (type == opcode::delete_) d.version = r.i32();
        return d;
    }
    case opcode::exists:
    case opcode::getData:
    case opcode::getChildren:
    case opcode::getChildren2: return read_path_watch(r);
    case opcode::setData: {
        SetDataRequest s;
        s.path = nullable_string(r, "path");
        s.data = r.buffer("data");
        s.version = r.i32();
        return s;
    }
    case opcode::getACL:
    case opcode::sync:
    case opcode::getEphemerals:
    case opcode::getAllChildrenNumber: return PathRequest{nullable_string(r, "path")};
    case opcode::setACL: {
        SetAclRequest s;
        s.path = nullable_string(r, "path");
        s.acl = read_acls(r);
        s.version = r.i32();
        return s;
    }
    case opcode::check: {
        CheckVersionRequest c;
        c.path = nullable_string(r, "path");
        c.version = r.i32();
        return c;
    }
    case opcode::auth: {
        AuthPacket a;
        a.type = r.i32();
        a.scheme = r.string("scheme");
        a.auth = r.buffer("auth");
        return a;
    }
    case opcode::setWatches:
    case opcode::setWatches2: {
        SetWatches w;
        w.relative_zxid = r.i64();
        auto paths = [&r] {
            std::vector<std::string> v;
            const auto n = r.count("watch paths");
            for (std::int32_t i = 0; n && i < *n; ++i) v.push_back(nullable_string(r, "watch path"));
            return v;
        };
        w.data = paths();
        w.exist = paths();
        w.child = paths();
        if (type == opcode::setWatches2) {
            paths();  // persistent watches: not supported, dropped
            paths();  // persistent recursive watches
        }
        return w;
    }
    case opcode::multi:
    case opcode::multiRead:
        if (in_multi) throw FormatError("multi inside multi", r.source().position());
        return read_multi(r);
    default: return EmptyRequest{};
    }
}

void write_header(zab::JuteWriter& w, std::int32_t type, bool done, std::int32_t err) {
    w.i32(type);
    w.boolean(done);
    w.i32(err);
}

std::string framed(std::string payload) {
    std::string out;
    append_be32(out, static_cast<std::uint32_t>(payload.size()));
    out += payload;
    return out;
}

void write_children(zab::JuteWriter& w, const std::vector<std::string>& children) {
    w.i32(static_cast<std::int32_t>(children.size()));
    for (const auto& c : children) w.string(c);
}

}  // namespace

void write_stat(zab::JuteWriter& w, const Stat& s) {
    const auto& p = s.persisted;
    w.i64(p.czxid);
    w.i64(p.mzxid);
    w.i64(p.ctime);
    w.i64(p.mtime);
    w.i32(p.version);
    w.i32(p.cversion);
    w.i32(p.aversion);
    w.i64(p.ephemeral_owner);
    w.i32(s.data_length);
    w.i32(s.num_children);
    w.i64(p.pzxid);
}

ConnectRequest decode_connect_request(ByteSpan payload, std::uint32_t max_buffer) {
    ByteCursor c(payload);
    Reader r(c, max_buffer);
    ConnectRequest q;
    q.protocol_version = r.i32();
    q.last_zxid_seen = r.i64();
    q.timeout_ms = r.i32();
    q.session_id = r.i64();
    zab::Buffer pw = r.buffer("passwd");
    q.password = pw ? *pw : std::string();
    if (!c.at_end()) q.read_only = r.boolean();
    return q;
}

Request decode_request(ByteSpan payload, std::uint32_t max_buffer) {
    ByteCursor c(payload);
    Reader r(c, max_buffer);
    Request q;
    q.xid = r.i32();
    q.type = r.i32();
    q.body = read_body(q.type, r, false);
    return q;
}

std::string encode_connect_response(const ConnectResponse& r) {
    std::string p;
    zab::JuteWriter w(p);
    w.i32(r.protocol_version);
    w.i32(r.timeout_ms);
    w.i64(r.session_id);
    w.string(r.password);
    if (r.read_only) w.boolean(*r.read_only);
    return framed(std::move(p));
}

std::string encode_reply(const Reply& r) {
    std::string p;
    zab::JuteWriter w(p);
    w.i32(r.xid);
    w.i64(r.zxid);
    w.i32(r.err);
    if (r.err != code::ok && !std::holds_alternative<std::vector<MultiResult>>(r.body)) return framed(std::move(p));
    std::visit(
        [&w](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, std::string>) {
                w.string(b);
            } else if constexpr (std::is_same_v<T, Stat>) {
                write_stat(w, b);
            } else if constexpr (std::is_same_v<T, std::pair<std::string, Stat>>) {
                w.string(b.first);
                write_stat(w, b.second);
            } else if constexpr (std::is_same_v<T, std::pair<zab::Buffer, Stat>>) {
                w.buffer(b.first);
                write_stat(w, b.second);
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                write_children(w, b);
            } else if constexpr (std::is_same_v<T, std::pair<std::vector<std::string>, Stat>>) {
                write_children(w, b.first);
                write_stat(w, b.second);
            } else if constexpr (std::is_same_v<T, std::pair<std::vector<zab::Acl>, Stat>>) {
                zab::write_acl_list(w, b.first);
                write_stat(w, b.second);
            } else if constexpr (std::is_same_v<T, std::int32_t>) {
                w.i32(b);
            } else if constexpr (std::is_same_v<T, std::vector<MultiResult>>) {
                for (const MultiResult& m : b) {
                    write_header(w, m.type, false, m.type == opcode::error ? m.err : 0);
                    switch (m.type) {
                    case opcode::create: w.string(m.path); break;
                    case opcode::create2:
                    case opcode::createTTL:
                    case opcode::createContainer:
                        w.string(m.path);
                        write_stat(w, m.stat.value_or(Stat{}));
                        break;
                    case opcode::setData: write_stat(w, m.stat.value_or(Stat{})); break;
                    case opcode::error: w.i32(m.err); break;
                    case opcode::getData:
                        w.buffer(m.data);
                        write_stat(w, m.stat.value_or(Stat{}));
                        break;
                    case opcode::getChildren: write_children(w, m.children); break;
                    default: break;  // delete, check: no body
                    }
                }
                write_header(w, -1, true, -1);
            }
        },
        r.body);
    return framed(std::move(p));
}

std::string encode_notification(std::int32_t event_type, std::int32_t state, const std::string& path) {
    std::string p;
    zab::JuteWriter w(p);
    w.i32(xid::notification);
    w.i64(-1);
    w.i32(code::ok);
    w.i32(event_type);
    w.i32(state);
    w.string(path);
    return framed(std::move(p));
}

}  // namespace zabra::node
