#include "node/processor.h"

#include "libformat/common/sha1.h"
#include "libformat/zab/txn_codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace zabra::node {

namespace {

constexpr std::int64_t kContainerOwner = zab::kContainerOwner;
constexpr std::int64_t kMaxTtl = 0xFFFFFFFFFFLL;  // EphemeralType.TTL's limit: 2^40 - 1

// CreateMode.fromFlag.
struct CreateMode {
    bool ephemeral = false;
    bool sequential = false;
    bool container = false;
    bool ttl = false;
};
std::optional<CreateMode> create_mode(std::int32_t flags) {
    switch (flags) {
    case 0: return CreateMode{};
    case 1: return CreateMode{true, false, false, false};
    case 2: return CreateMode{false, true, false, false};
    case 3: return CreateMode{true, true, false, false};
    case 4: return CreateMode{false, false, true, false};
    case 5: return CreateMode{false, false, false, true};
    case 6: return CreateMode{false, true, false, true};
    default: return std::nullopt;
    }
}

// The data tree keys the root as "".
std::string tree_key(const std::string& path) { return path == "/" ? std::string() : path; }

// EphemeralType NORMAL: container (0x80...) and TTL (0xff...) owners are negative.
bool is_normal_ephemeral(std::int64_t owner) { return owner > 0; }

zab::CloseSessionTxn close_session_body(std::vector<std::string> ephemerals) {
    zab::CloseSessionTxn c;
    c.paths_to_delete.emplace(std::move(ephemerals));
    return c;
}

// IPAuthenticationProvider.isValid (IPv4): a.b.c.d with an optional /bits.
bool valid_ip_acl(const std::string& id) {
    const auto slash = id.find('/');
    const std::string addr = id.substr(0, slash);
    if (slash != std::string::npos) {
        const std::string bits = id.substr(slash + 1);
        if (bits.empty() || bits.size() > 2 || bits.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(bits) > 32) {
            return false;
        }
    }
    int parts = 0;
    std::size_t at = 0;
    while (at <= addr.size()) {
        const auto dot = addr.find('.', at);
        const std::string part = addr.substr(at, dot == std::string::npos ? std::string::npos : dot - at);
        if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(part) > 255) {
            return false;
        }
        ++parts;
        if (dot == std::string::npos) break;
        at = dot + 1;
    }
    return parts == 4;
}

std::int32_t check_version(std::int32_t current, std::int32_t expected, std::int32_t& next) {
    if (expected != -1 && expected != current) return code::bad_version;
    next = current + 1;
    return code::ok;
}

}  // namespace

bool produces_txn(std::int32_t type) {
    switch (type) {
    case opcode::create:
    case opcode::create2:
    case opcode::createContainer:
    case opcode::createTTL:
    case opcode::delete_:
    case opcode::setData:
    case opcode::setACL:
    case opcode::check:
    case opcode::multi:
    case opcode::closeSession: return true;
    default: return false;
    }
}

std::string invalid_path_reason(const std::string& path) {
    if (path.empty()) return "Path length must be > 0";
    if (path[0] != '/') return "Path must start with / character";
    if (path.size() == 1) return {};
    if (path.back() == '/') return "Path must not end with / character";
    char last = '/';
    for (std::size_t i = 1; i < path.size(); ++i) {
        const auto c = static_cast<unsigned char>(path[i]);
        if (c == 0) return fmt::format("null character not allowed @{}", i);
        if (c == '/' && last == '/') return fmt::format("empty node name specified @{}", i);
        if (c == '.' && last == '.' && path[i - 2] == '/' && (i + 1 == path.size() || path[i + 1] == '/')) {
            return fmt::format("relative paths not allowed @{}", i);
        }
        if (c == '.' && last == '/' && (i + 1 == path.size() || path[i + 1] == '/')) {
            return fmt::format("relative paths not allowed @{}", i);
        }
        if (c < 0x20 && c > 0) return fmt::format("invalid character @{}", i);
        last = static_cast<char>(c);
    }
    return {};
}

// DataNode.copyStat: the stored cversion counts creates only; clients see
// creates and deletes. Containers and TTL nodes show no owner.
Stat client_stat(const zab::StatPersisted& stored, std::int32_t data_length, std::int32_t num_children) {
    Stat s;
    s.persisted = stored;
    s.data_length = data_length;
    s.num_children = num_children;
    s.persisted.cversion = stored.cversion * 2 - num_children;
    if (!is_normal_ephemeral(stored.ephemeral_owner)) s.persisted.ephemeral_owner = 0;
    return s;
}

Stat client_stat(const NodeState& n) { return client_stat(n.stat, n.data_length, n.child_count); }

Processor::Processor(zab::DataTree& tree, ProcessorOptions options) : m_tree(tree), m_o(options) {
    if (m_o.min_session_timeout_ms < 0) m_o.min_session_timeout_ms = 2 * m_o.tick_ms;
    if (m_o.max_session_timeout_ms < 0) m_o.max_session_timeout_ms = 20 * m_o.tick_ms;
    // SessionTrackerImpl.initializeNextSessionId: the time in the middle
    // bits, the server id (1 for a standalone server) in the top byte.
    m_next_session = static_cast<std::int64_t>((static_cast<std::uint64_t>(m_o.start_ms) << 24) >> 8) |
                     static_cast<std::int64_t>(static_cast<std::uint64_t>(m_o.server_id) << 56);
    m_last_zxid = tree.last_processed_zxid();
}

Session* Processor::find_session(std::int64_t id) {
    auto it = m_sessions.find(id);
    return it == m_sessions.end() ? nullptr : &it->second;
}

std::int32_t Processor::negotiate_timeout(std::int32_t requested) const {
    return std::clamp(requested, m_o.min_session_timeout_ms, m_o.max_session_timeout_ms);
}

std::int64_t Processor::expiry_for(std::int64_t now_ms, std::int32_t timeout_ms) const {
    // ExpiryQueue.roundToNextInterval.
    const std::int64_t t = now_ms + timeout_ms;
    return (t / m_o.tick_ms + 1) * m_o.tick_ms;
}

void Processor::touch(Session& s, std::int64_t now_ms) { s.expires_at_ms = expiry_for(now_ms, s.timeout_ms); }

void Processor::restore_sessions(std::int64_t now_ms) {
    for (const auto& [id, timeout] : m_tree.sessions()) {
        Session s;
        s.id = id;
        s.timeout_ms = timeout;
        s.password = session_password(id);
        s.expires_at_ms = expiry_for(now_ms, timeout);
        m_sessions[id] = s;
        if (id >= m_next_session && (id >> 56) == m_o.server_id) m_next_session = id + 1;
    }
}

std::string session_password(std::int64_t session_id) {
    // ZooKeeperServer.generatePasswd: java.util.Random(id ^ superSecret)
    // .nextBytes(16), so a client can reconnect after a restart, or after
    // the data dir is moved to a real ZooKeeper.
    constexpr std::uint64_t kMask = (std::uint64_t{1} << 48) - 1;
    std::uint64_t seed = (static_cast<std::uint64_t>(session_id) ^ 0xB3415C00ull ^ 0x5DEECE66Dull) & kMask;
    std::string out;
    while (out.size() < 16) {
        seed = (seed * 0x5DEECE66Dull + 0xB) & kMask;
        auto r = static_cast<std::uint32_t>(seed >> 16);
        for (int k = 0; k < 4 && out.size() < 16; ++k, r >>= 8) out.push_back(static_cast<char>(r & 0xff));
    }
    return out;
}

zab::TxnHeader Processor::next_header(std::int64_t session, std::int32_t cxid, std::int32_t type,
                                      std::int64_t now_ms) {
    return {session, cxid, ++m_last_zxid, now_ms, type};
}

Outcome Processor::finish_write(zab::Txn txn, std::int32_t xid) {
    if (m_o.digest_enabled && txn.header.type != zab::op::error) txn.digest = zab::TxnDigest{2, m_outstanding.digest()};
    Outcome o;
    Reply r;
    r.xid = xid;
    r.zxid = txn.header.zxid;
    o.reply = std::move(r);
    o.txn = std::move(txn);
    return o;
}

bool Processor::commit(const zab::Txn& txn) {
    const std::int64_t expected = m_outstanding.digest();
    m_tree.apply(txn);
    m_outstanding.committed(txn.header.zxid, expected);
    const bool prepared_here = txn.header.zxid <= m_last_zxid;  // else another server's (we follow)
    m_last_zxid = std::max(m_last_zxid, txn.header.zxid);
    const std::int64_t id = txn.header.client_id;
    if (prepared_here) {
        // the session opened or ended when it was prepared
    } else if (txn.header.type == zab::op::createSession && !m_sessions.count(id)) {
        Session s;
        s.id = id;
        s.timeout_ms = std::get<zab::CreateSessionTxn>(txn.body).timeout;
        s.password = session_password(id);
        s.expires_at_ms = expiry_for(txn.header.time, s.timeout_ms);
        m_sessions[id] = std::move(s);
    } else if (txn.header.type == zab::op::closeSession) {
        m_sessions.erase(id);
    }
    return !txn.digest || txn.digest->tree_digest == m_tree.digest();
}

void Processor::drop_uncommitted() {
    m_outstanding.clear();
    m_last_zxid = committed_zxid();
}

void Processor::start_epoch(std::int64_t epoch) {
    m_tree.set_last_processed_zxid(epoch << 32);
    m_last_zxid = epoch << 32;
    m_outstanding.clear();
}

Outcome Processor::create_session_with_id(std::int64_t id, std::int32_t requested_timeout_ms, std::int64_t now_ms) {
    Session s;
    s.id = id;
    s.timeout_ms = negotiate_timeout(requested_timeout_ms);
    s.password = session_password(id);
    s.expires_at_ms = expiry_for(now_ms, s.timeout_ms);
    zab::Txn t;
    t.header = next_header(id, 0, zab::op::createSession, now_ms);
    t.body = zab::CreateSessionTxn{s.timeout_ms};
    m_sessions[id] = std::move(s);
    return finish_write(std::move(t), 0);
}

Outcome Processor::error_for(std::int64_t session, const Request& r, std::int32_t err, std::int64_t now_ms) {
    Session s;
    s.id = session;
    return error_txn(s, r, err, now_ms);
}

Outcome Processor::create_session(std::int32_t requested_timeout_ms, std::int64_t now_ms, Session*& created) {
    Session s;
    s.id = m_next_session++;
    s.timeout_ms = negotiate_timeout(requested_timeout_ms);
    s.password = session_password(s.id);
    s.expires_at_ms = expiry_for(now_ms, s.timeout_ms);
    zab::Txn t;
    t.header = next_header(s.id, 0, zab::op::createSession, now_ms);
    t.body = zab::CreateSessionTxn{s.timeout_ms};
    created = &(m_sessions[s.id] = std::move(s));
    return finish_write(std::move(t), 0);
}

Stat node_stat(const zab::DataNode& n) {
    return client_stat(n.stat, n.data ? static_cast<std::int32_t>(n.data->size()) : 0,
                       n.children ? static_cast<std::int32_t>(n.children->size()) : 0);
}

Stat Processor::stat_of(const zab::DataNode& n) const { return node_stat(n); }

bool Processor::allowed(const Session& s, const zab::DataNode& n, std::int32_t perm) const {
    return acl_allows(m_tree.acl_list(n.acl), s.auth, perm);
}

// IPAuthenticationProvider.matches: the client address within a.b.c.d/bits.
bool ip_matches(const std::string& client, const std::string& acl) {
    auto parse = [](const std::string& a, std::uint32_t& out) {
        unsigned b[4];
        char tail = 0;
        if (std::sscanf(a.c_str(), "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &tail) != 4) return false;
        out = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
        return true;
    };
    const auto slash = acl.find('/');
    std::uint32_t c = 0, net = 0;
    if (!parse(client, c) || !parse(acl.substr(0, slash), net)) return false;
    const int bits = slash == std::string::npos ? 32 : std::atoi(acl.c_str() + slash + 1);
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (c & mask) == (net & mask);
}

bool acl_allows(const std::vector<zab::Acl>& acl, const std::vector<AuthId>& auth, std::int32_t perm) {
    if (acl.empty()) return true;
    for (const auto& a : auth) {
        if (a.scheme == "super") return true;
    }
    for (const zab::Acl& a : acl) {
        if ((a.perms & perm) == 0) continue;
        if (a.scheme == "world" && a.id == "anyone") return true;
        for (const AuthId& id : auth) {
            if (id.scheme != a.scheme) continue;
            if (id.id == a.id || (a.scheme == "ip" && ip_matches(id.id, a.id))) return true;
        }
    }
    return false;
}

std::int32_t Processor::fix_acl(const Session& s, const zab::AclList& in, zab::AclList& out) const {
    // PrepRequestProcessor.fixupACL: "auth" becomes the session's ids, an
    // empty or malformed list is InvalidACL, duplicates are dropped.
    if (!in || in->empty()) return code::invalid_acl;
    std::vector<zab::Acl> fixed;
    auto add = [&fixed](zab::Acl a) {
        if (std::find(fixed.begin(), fixed.end(), a) == fixed.end()) fixed.push_back(std::move(a));
    };
    for (const zab::Acl& a : *in) {
        if (a.scheme == "world") {
            if (a.id != "anyone") return code::invalid_acl;
            add(a);
        } else if (a.scheme == "auth") {
            bool any = false;
            for (const AuthId& id : s.auth) {
                if (id.scheme == "ip" || id.scheme == "super") continue;
                add({a.perms, id.scheme, id.id});
                any = true;
            }
            if (!any) return code::invalid_acl;
        } else if (a.scheme == "digest") {
            if (a.id.find(':') == std::string::npos) return code::invalid_acl;
            add(a);
        } else if (a.scheme == "ip") {
            if (!valid_ip_acl(a.id)) return code::invalid_acl;
            add(a);
        } else {
            return code::invalid_acl;
        }
    }
    out = std::move(fixed);
    return code::ok;
}

std::int32_t Processor::prepare_op(const Session& s, std::int32_t type, const RequestBody& body, std::int64_t zxid,
                                   std::int64_t now_ms, TreeView& view, zab::TxnBody& out,
                                   std::int32_t& txn_type, Stat* result) const {
    txn_type = type;
    // validatePath, the node, then its ACL: how setData, setACL and check start.
    auto existing = [&](const std::string& path, std::int32_t perm, std::optional<NodeState>& n) {
        if (!invalid_path_reason(path).empty()) return code::bad_arguments;
        n = view.get(tree_key(path));
        if (!n) return code::no_node;
        return acl_allows(n->acl, s.auth, perm) ? code::ok : code::no_auth;
    };
    if (const std::string* p = std::visit([](const auto& b) -> const std::string* {
            if constexpr (requires { b.path; }) return &b.path;
            return nullptr;
        }, body); p != nullptr && p->empty()) {
        return code::marshalling_error;  // a null path: jute hands ZooKeeper a null, which it cannot process
    }
    switch (type) {
    case opcode::create:
    case opcode::create2:
    case opcode::createContainer:
    case opcode::createTTL: {
        const auto& c = std::get<CreateRequest>(body);
        const auto mode = create_mode(c.flags);
        if (!mode) return code::bad_arguments;
        if (mode->container != (type == opcode::createContainer)) return code::bad_arguments;
        if (mode->ttl != (type == opcode::createTTL)) return code::bad_arguments;
        if (mode->ttl) {
            if (!m_o.extended_types) return code::unimplemented;
            if (c.ttl <= 0 || c.ttl > kMaxTtl) return code::bad_arguments;
        }
        const auto slash = c.path.rfind('/');
        if (slash == std::string::npos || c.path.find('\0') != std::string::npos) return code::bad_arguments;
        zab::AclList acl;
        if (const std::int32_t e = fix_acl(s, c.acl, acl); e != code::ok) return e;
        const std::string parent = slash == 0 ? std::string("/") : c.path.substr(0, slash);
        std::optional<NodeState> p = view.get(tree_key(parent));
        if (!p) return code::no_node;
        if (!acl_allows(p->acl, s.auth, perm::create)) return code::no_auth;
        std::string path = c.path;
        if (mode->sequential) path += fmt::format("{:010d}", p->stat.cversion);
        if (!invalid_path_reason(path).empty()) return code::bad_arguments;
        if (view.get(path)) return code::node_exists;
        if (is_normal_ephemeral(p->stat.ephemeral_owner)) return code::no_children_for_ephemerals;
        const std::int32_t parent_cversion = p->stat.cversion + 1;
        std::int64_t owner = 0;
        if (mode->container) {
            out = zab::CreateContainerTxn{path, c.data, acl, parent_cversion};
            owner = kContainerOwner;
        } else if (mode->ttl) {
            out = zab::CreateTtlTxn{path, c.data, acl, parent_cversion, c.ttl};
            owner = zab::ttl_owner(c.ttl);
        } else {
            out = zab::CreateTxn{path, c.data, acl, mode->ephemeral, parent_cversion, false};
            if (mode->ephemeral) owner = s.id;
        }
        p->stat.cversion = parent_cversion;
        p->stat.pzxid = zxid;
        ++p->child_count;
        view.put(tree_key(parent), *p, zxid);
        NodeState n;
        n.stat.czxid = n.stat.mzxid = n.stat.pzxid = zxid;
        n.stat.ctime = n.stat.mtime = now_ms;
        n.stat.ephemeral_owner = owner;
        n.acl = *acl;
        n.data_length = c.data ? static_cast<std::int32_t>(c.data->size()) : 0;
        n.path_data_crc = zab::path_data_crc(path, c.data);
        if (result != nullptr) *result = client_stat(n);
        view.put(path, std::move(n), zxid);
        return code::ok;
    }
    case opcode::delete_:
    case opcode::deleteContainer: {
        const auto& d = std::get<DeleteRequest>(body);
        const auto slash = d.path.rfind('/');
        if (slash == std::string::npos || d.path.find('\0') != std::string::npos || d.path == "/" ||
            d.path == "/zookeeper" || d.path == "/zookeeper/quota" || d.path == "/zookeeper/config") {
            return code::bad_arguments;
        }
        const std::string parent = slash == 0 ? std::string("/") : d.path.substr(0, slash);
        std::optional<NodeState> p = view.get(tree_key(parent));
        if (!p) return code::no_node;
        if (!acl_allows(p->acl, s.auth, perm::del)) return code::no_auth;
        std::optional<NodeState> n = view.get(d.path);
        if (!n) return code::no_node;
        std::int32_t next = 0;
        if (const std::int32_t e = check_version(n->stat.version, d.version, next); e != code::ok) return e;
        if (n->child_count > 0) return code::not_empty;
        out = zab::DeleteTxn{d.path};
        view.remove(d.path, zxid);
        return code::ok;
    }
    case opcode::setData: {
        const auto& d = std::get<SetDataRequest>(body);
        std::optional<NodeState> n;
        if (const std::int32_t e = existing(d.path, perm::write, n); e != code::ok) return e;
        std::int32_t next = 0;
        if (const std::int32_t e = check_version(n->stat.version, d.version, next); e != code::ok) return e;
        out = zab::SetDataTxn{d.path, d.data, next};
        n->stat.version = next;
        n->stat.mzxid = zxid;
        n->stat.mtime = now_ms;
        n->data_length = d.data ? static_cast<std::int32_t>(d.data->size()) : 0;
        n->path_data_crc = zab::path_data_crc(d.path, d.data);
        if (result != nullptr) *result = client_stat(*n);
        view.put(tree_key(d.path), *n, zxid);
        return code::ok;
    }
    case opcode::setACL: {
        const auto& d = std::get<SetAclRequest>(body);
        if (!invalid_path_reason(d.path).empty()) return code::bad_arguments;
        zab::AclList acl;
        if (const std::int32_t e = fix_acl(s, d.acl, acl); e != code::ok) return e;
        std::optional<NodeState> n;
        if (const std::int32_t e = existing(d.path, perm::admin, n); e != code::ok) return e;
        std::int32_t next = 0;
        if (const std::int32_t e = check_version(n->stat.aversion, d.version, next); e != code::ok) return e;
        out = zab::SetAclTxn{d.path, acl, next};
        n->stat.aversion = next;
        n->acl = *acl;
        if (result != nullptr) *result = client_stat(*n);
        view.put(tree_key(d.path), *n, zxid);
        return code::ok;
    }
    case opcode::check: {
        const auto& d = std::get<CheckVersionRequest>(body);
        std::optional<NodeState> n;
        if (const std::int32_t e = existing(d.path, perm::read, n); e != code::ok) return e;
        if (d.version != -1 && d.version != n->stat.version) return code::bad_version;
        out = zab::CheckVersionTxn{d.path, n->stat.version + 1};  // as ZooKeeper logs it
        return code::ok;
    }
    default: return code::unimplemented;
    }
}

Outcome Processor::error_txn(const Session& s, const Request& r, std::int32_t err, std::int64_t now_ms) {
    zab::Txn t;
    t.header = next_header(s.id, r.xid, zab::op::error, now_ms);
    t.body = zab::ErrorTxn{err};
    Outcome o = finish_write(std::move(t), r.xid);
    o.reply->err = err;
    return o;
}

Outcome Processor::read(const Session& s, const Request& r) {
    Outcome o;
    Reply rep;
    rep.xid = r.xid;
    rep.zxid = committed_zxid();
    auto node_at = [this](const std::string& path) { return m_tree.find(tree_key(path)); };
    // The node, if it is there and `perm` allows it; else null, with the error set.
    auto readable = [&](const std::string& path, std::int32_t perm) -> const zab::DataNode* {
        const zab::DataNode* n = node_at(path);
        if (n == nullptr) {
            rep.err = code::no_node;
        } else if (!allowed(s, *n, perm)) {
            rep.err = code::no_auth;
            n = nullptr;
        }
        return n;
    };
    switch (r.type) {
    case opcode::exists: {
        const auto& q = std::get<PathWatchRequest>(r.body);
        if (const zab::DataNode* n = node_at(q.path)) {
            rep.body = stat_of(*n);
        } else {
            rep.err = code::no_node;
        }
        break;
    }
    case opcode::getData: {
        if (const zab::DataNode* n = readable(std::get<PathWatchRequest>(r.body).path, perm::read)) {
            rep.body = std::pair<zab::Buffer, Stat>{n->data, stat_of(*n)};
        }
        break;
    }
    case opcode::getChildren:
    case opcode::getChildren2: {
        if (const zab::DataNode* n = readable(std::get<PathWatchRequest>(r.body).path, perm::read)) {
            std::vector<std::string> children;
            if (n->children) children.assign(n->children->begin(), n->children->end());
            if (r.type == opcode::getChildren) {
                rep.body = std::move(children);
            } else {
                rep.body = std::pair<std::vector<std::string>, Stat>{std::move(children), stat_of(*n)};
            }
        }
        break;
    }
    case opcode::getACL: {
        if (const zab::DataNode* n = readable(std::get<PathRequest>(r.body).path, perm::read | perm::admin)) {
            std::vector<zab::Acl> acl = m_tree.acl_list(n->acl);
            if (!allowed(s, *n, perm::admin)) {
                // Without ADMIN, digest ids are shown as "user:x" (FinalRequestProcessor).
                for (zab::Acl& a : acl) {
                    if (a.scheme == "digest") a.id = a.id.substr(0, a.id.find(':')) + ":x";
                }
            }
            rep.body = std::pair<std::vector<zab::Acl>, Stat>{std::move(acl), stat_of(*n)};
        }
        break;
    }
    case opcode::sync: rep.body = std::get<PathRequest>(r.body).path; break;
    case opcode::getEphemerals: {
        // The caller's ephemerals whose path starts with the prefix (as a string).
        const std::string& prefix = std::get<PathRequest>(r.body).path;
        std::vector<std::string> mine;
        for (std::string& p : m_tree.ephemerals_of(s.id)) {
            if (prefix == "/" || p.starts_with(prefix)) mine.push_back(std::move(p));
        }
        rep.body = std::move(mine);
        break;
    }
    case opcode::getAllChildrenNumber: {
        const std::string& path = std::get<PathRequest>(r.body).path;
        if (readable(path, perm::read) != nullptr) {
            // Every descendant: paths under "path/" ("/" counts all but itself and "").
            const std::string prefix = path == "/" ? "/" : path + "/";
            std::int32_t count = 0;
            for (const auto& [p, node] : m_tree.nodes()) count += !p.empty() && p.starts_with(prefix) ? 1 : 0;
            rep.body = count;
        }
        break;
    }
    default: rep.err = code::unimplemented; break;
    }
    o.reply = std::move(rep);
    return o;
}

Outcome Processor::process(Session& s, const Request& r, std::int64_t now_ms) {
    switch (r.type) {
    case opcode::ping: {
        Outcome o;
        o.reply = Reply{xid::ping, committed_zxid(), code::ok, {}};
        return o;
    }
    case opcode::auth: {
        const auto& a = std::get<AuthPacket>(r.body);
        Outcome o;
        o.reply = Reply{xid::auth, 0, code::ok, {}};
        if (a.scheme == "digest" && a.auth) {
            const AuthId id{"digest", zk_digest_id(*a.auth)};
            if (std::find(s.auth.begin(), s.auth.end(), id) == s.auth.end()) s.auth.push_back(id);
        } else {
            o.reply->err = code::auth_failed;
            o.close_connection = true;
        }
        return o;
    }
    case opcode::setWatches:
    case opcode::setWatches2: {
        Outcome o;
        o.reply = Reply{xid::set_watches, committed_zxid(), code::ok, {}};
        return o;
    }
    case opcode::closeSession: {
        Outcome o = close_session(s.id, r.xid, now_ms);
        o.close_connection = true;
        return o;
    }
    case opcode::exists:
    case opcode::getData:
    case opcode::getChildren:
    case opcode::getChildren2:
    case opcode::getACL:
    case opcode::sync:
    case opcode::getEphemerals:
    case opcode::getAllChildrenNumber: return read(s, r);
    case opcode::check: {
        // A check outside a multi takes a zxid, as in ZooKeeper 3.8; failing,
        // it is logged as the error txn ZooKeeper logs. Passing, ZooKeeper
        // logs a CheckVersionTxn it cannot read back at startup (and never
        // answers): zabra-node logs ErrorTxn(0) instead and answers.
        TreeView scratch(m_outstanding);  // a check changes nothing
        zab::TxnBody body;
        std::int32_t type = 0;
        const std::int32_t err = prepare_op(s, r.type, r.body, m_last_zxid + 1, now_ms, scratch, body, type);
        return error_txn(s, r, err, now_ms);
    }
    case opcode::create:
    case opcode::create2:
    case opcode::createContainer:
    case opcode::createTTL:
    case opcode::delete_:
    case opcode::setData:
    case opcode::setACL: {
        zab::TxnBody body;
        std::int32_t type = r.type;
        Stat after;
        const std::int32_t err =
            prepare_op(s, r.type, r.body, m_last_zxid + 1, now_ms, m_outstanding, body, type, &after);
        if (err != code::ok) return error_txn(s, r, err, now_ms);
        zab::Txn t;
        t.header = next_header(s.id, r.xid, type, now_ms);
        t.body = std::move(body);
        const std::string path = *zab::txn_path(t.body);
        Outcome o = finish_write(std::move(t), r.xid);
        switch (r.type) {
        case opcode::create: o.reply->body = path; break;
        case opcode::create2:
        case opcode::createContainer:
        case opcode::createTTL: o.reply->body = std::pair<std::string, Stat>{path, after}; break;
        case opcode::setData:
        case opcode::setACL: o.reply->body = after; break;
        default: break;
        }
        return o;
    }
    case opcode::multi: {
        const auto& ops = std::get<MultiOps>(r.body);
        TreeView view(m_outstanding);  // merged only if every op passes
        const std::int64_t zxid = m_last_zxid + 1;
        std::vector<zab::SubTxn> subs;
        std::vector<Stat> op_stats(ops.size());
        std::optional<std::size_t> failed;
        for (std::size_t i = 0; i < ops.size(); ++i) {
            zab::SubTxn sub;
            if (failed) {
                sub.type = zab::op::error;
                sub.body = zab::ErrorTxn{code::runtime_inconsistency};
            } else {
                // Inside a multi, create2 is rebuilt from its flags (Op.create): a plain create.
                const std::int32_t op_type = ops[i].type == opcode::create2 ? opcode::create : ops[i].type;
                const std::int32_t err =
                    prepare_op(s, op_type, ops[i].body, zxid, now_ms, view, sub.body, sub.type, &op_stats[i]);
                if (err != code::ok) {
                    failed = i;
                    sub.type = zab::op::error;
                    sub.body = zab::ErrorTxn{err};
                }
            }
            sub.raw = std::string();
            zab::encode_txn_body(sub.body, *sub.raw);  // the logged form of the sub-txn
            subs.push_back(std::move(sub));
        }
        zab::Txn t;
        t.header = next_header(s.id, r.xid, zab::op::multi, now_ms);
        t.body = zab::MultiTxn{std::move(subs)};
        const auto& applied_ops = *std::get<zab::MultiTxn>(t.body).ops;
        std::vector<MultiResult> results;
        Outcome o;
        if (failed) {
            for (std::size_t i = 0; i < applied_ops.size(); ++i) {
                const std::int32_t e = i < *failed ? code::ok
                                                   : std::get<zab::ErrorTxn>(applied_ops[i].body).err;
                results.push_back({opcode::error, e, {}, {}, {}, {}});
            }
            o = finish_write(std::move(t), r.xid);
        } else {
            std::vector<std::pair<std::int32_t, std::string>> done;
            for (const auto& sub : applied_ops) done.emplace_back(sub.type, *zab::txn_path(sub.body));
            view.merge_into_base();
            o = finish_write(std::move(t), r.xid);
            for (std::size_t i = 0; i < done.size(); ++i) {
                const auto& [type, path] = done[i];
                MultiResult m;
                m.type = type;
                m.path = path;
                if (type != zab::op::create && type != zab::op::delete_ && type != zab::op::check) m.stat = op_stats[i];
                results.push_back(std::move(m));
            }
        }
        o.reply->body = std::move(results);
        return o;
    }
    default: {
        Outcome o;
        o.reply = Reply{r.xid, -1, code::unimplemented, {}};
        return o;
    }
    }
}

std::vector<Outcome> Processor::expire_sessions(std::int64_t now_ms) {
    std::vector<Outcome> out;
    std::vector<std::int64_t> expired;
    for (const auto& [id, s] : m_sessions) {
        if (!s.closing && s.expires_at_ms <= now_ms) expired.push_back(id);
    }
    for (const std::int64_t id : expired) {
        out.push_back(close_session(id, 0, now_ms));
        out.back().reply.reset();
    }
    return out;
}

Outcome Processor::close_session(std::int64_t id, std::int32_t cxid, std::int64_t now_ms) {
    // The txn lists the session's ephemerals (zookeeper.closeSessionTxn.enabled).
    zab::Txn t;
    t.header = next_header(id, cxid, zab::op::closeSession, now_ms);
    std::vector<std::string> ephemerals = m_outstanding.ephemerals_of(id);
    for (const std::string& path : ephemerals) m_outstanding.remove(path, t.header.zxid);  // as killSession will
    t.body = close_session_body(std::move(ephemerals));
    m_sessions.erase(id);
    return finish_write(std::move(t), cxid);
}

std::vector<Outcome> Processor::expire_containers(std::int64_t now_ms) {
    // ContainerManager.getCandidates: empty containers that once had a
    // child, and childless TTL nodes whose TTL since mtime has passed.
    std::vector<std::string> doomed;
    // Candidates come from the committed tree; each is judged as the
    // outstanding changes leave it.
    for (const auto& [path, node] : m_tree.nodes()) {
        const std::int64_t owner = node.stat.ephemeral_owner;
        if (owner != kContainerOwner && (static_cast<std::uint64_t>(owner) >> 56) != 0xff) continue;
        const std::optional<NodeState> n = m_outstanding.get(path);
        if (!n || n->child_count > 0) continue;
        if (owner == kContainerOwner && n->stat.cversion > 0) {
            doomed.push_back(path);
        } else if ((static_cast<std::uint64_t>(owner) >> 56) == 0xff) {  // a TTL node
            const std::int64_t ttl = owner & 0x00FFFFFFFFFFFFFFLL;
            if (now_ms - n->stat.mtime > ttl) doomed.push_back(path);
        }
    }
    std::sort(doomed.begin(), doomed.end());
    std::vector<Outcome> out;
    for (const auto& path : doomed) {
        zab::Txn t;
        t.header = next_header(0, 0, zab::op::deleteContainer, now_ms);
        t.body = zab::DeleteTxn{path};
        m_outstanding.remove(path, t.header.zxid);
        out.push_back(finish_write(std::move(t), 0));
        out.back().reply.reset();
    }
    return out;
}

}  // namespace zabra::node
