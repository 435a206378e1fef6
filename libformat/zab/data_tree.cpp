#include "libformat/zab/data_tree.h"

#include "libformat/common/zlib_codec.h"

#include <tuple>

namespace zabra::zab {

namespace {

bool digest_excluded(std::string_view path) { return path.starts_with("/zookeeper/"); }

const std::vector<Acl> kOpenAcl = {{31, "world", "anyone"}};
const std::vector<Acl> kReadAcl = {{1, "world", "anyone"}};

std::string child_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

bool zxid_follows(std::int64_t prev, std::int64_t next) {
    const std::int64_t pe = prev >> 32, ne = next >> 32;
    return (ne == pe && next == prev + 1) || (ne > pe && (next & 0xffffffff) == 1);
}

std::string parent_path(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

bool digest_counts(std::string_view path) { return !digest_excluded(path); }

std::uint32_t path_data_crc(std::string_view path, const Buffer& data) {
    std::uint32_t crc = crc32_update(0, as_bytes(path == "/" ? std::string_view() : path));
    if (data) crc = crc32_update(crc, as_bytes(*data));
    return crc;
}

std::uint32_t node_digest_from_crc(std::uint32_t path_data_crc, const StatPersisted& st) {
    // node digest = CRC-32(path, data, stat block): the CRC of path and data
    // continued over the stat, so data need not be kept or hashed again.
    std::uint8_t block[kStatPersistedSize];
    std::uint8_t* p = block;
    auto put64 = [&p](std::int64_t v) {
        for (int i = 7; i >= 0; --i) *p++ = static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i));
    };
    auto put32 = [&p](std::int32_t v) {
        for (int i = 3; i >= 0; --i) *p++ = static_cast<std::uint8_t>(static_cast<std::uint32_t>(v) >> (8 * i));
    };
    put64(st.czxid);
    put64(st.mzxid);
    put64(st.pzxid);
    put64(st.ctime);
    put64(st.mtime);
    put32(st.version);
    put32(st.cversion);
    put32(st.aversion);
    put64(st.ephemeral_owner);
    return crc32_update(path_data_crc, {block, kStatPersistedSize});
}

std::uint32_t node_digest(std::string_view path, const Buffer& data, const StatPersisted& st) {
    return node_digest_from_crc(path_data_crc(path, data), st);
}

void DataTree::unhash(const std::string& path, DataNode& n) {
    if (!digest_excluded(path)) m_digest -= n.digest;
}

void DataTree::rehash(const std::string& path, DataNode& n) {
    n.digest = node_digest_from_crc(n.path_data_crc, n.stat);
    if (!digest_excluded(path)) m_digest += n.digest;
}

void DataTree::set_data(const std::string& path, DataNode& n, const Buffer& data) {
    n.path_data_crc = path_data_crc(path, data);
    if (m_keep_data) n.data = data;
}

DataTree::DataTree(bool keep_data) : m_keep_data(keep_data) {
    auto add = [&](const std::string& path, std::int64_t acl) {
        DataNode n;
        n.acl = acl;
        auto& slot = m_nodes[path] = std::move(n);
        set_data(path, slot, std::string());
        rehash(path, slot);
        if (!path.empty() && m_keep_data) m_nodes[parent_path(path)].add_child(child_name(path));
    };
    add("", kOpenAclId);
    add("/zookeeper", kOpenAclId);
    add("/zookeeper/quota", kOpenAclId);
    add("/zookeeper/config", convert_acl(kReadAcl));
    m_nodes["/zookeeper/config"].stat.aversion = -1;
    rehash("/zookeeper/config", m_nodes["/zookeeper/config"]);
}

void DataTree::set_config_node(const std::string& members, std::int64_t mtime_ms) {
    auto it = m_nodes.find("/zookeeper/config");
    if (it == m_nodes.end()) return;
    unhash(it->first, it->second);
    set_data(it->first, it->second, members);
    it->second.stat.version = -1;
    it->second.stat.mzxid = 0;
    it->second.stat.mtime = mtime_ms;
    rehash(it->first, it->second);
}

void DataTree::begin_load() {
    m_nodes.clear();
    m_acls.clear();
    m_ephemerals.clear();
    m_digest = 0;
}

void DataTree::load_acl(const SnapshotAcl& a) {
    if (a.acls) m_acls[a.id] = *a.acls;
    m_next_acl = std::max(m_next_acl, a.id);
}

void DataTree::load_node(const SnapshotNode& sn) {
    auto twice = [&sn] { return FormatError("Invalid Datatree, path " + sn.path + " appears twice", sn.offset); };
    const bool kept_ephemeral = m_working_set != nullptr && sn.stat.ephemeral_owner > 0 &&
                                m_working_set->closed_sessions.contains(sn.stat.ephemeral_owner);
    const bool keep = m_working_set == nullptr || kept_ephemeral || m_working_set->paths.contains(sn.path);
    NodeMap::iterator at;
    if (keep) {
        bool inserted;
        std::tie(at, inserted) = m_nodes.try_emplace(sn.path);  // (references survive rehashing)
        if (!inserted || (m_working_set && m_unkept.contains(sn.path))) throw twice();
    } else if (!m_unkept.insert(sn.path) || m_nodes.contains(sn.path)) {
        throw twice();
    }
    if (!sn.path.empty() && sn.path[0] != '/') {
        throw FormatError("Invalid Datatree, path " + sn.path + " does not start with /", sn.offset);
    }
    if (!sn.path.empty()) {
        const std::string_view parent = std::string_view(sn.path).substr(0, sn.path.rfind('/'));
        auto it = m_nodes.find(parent);
        if (it == m_nodes.end()) {
            if (!m_unkept.contains(parent)) {
                throw FormatError(
                    "Invalid Datatree, unable to find parent " + std::string(parent) + " of path " + sn.path,
                    sn.offset);
            }
            if (kept_ephemeral) m_parents_missed.emplace(parent);  // its delete changes the parent
        }
        if (m_keep_data) it->second.add_child(child_name(sn.path));  // (a sparse load keeps no data)
    }
    if (!keep) {
        if (!digest_excluded(sn.path)) m_digest += node_digest(sn.path, sn.data, sn.stat);
        return;
    }
    DataNode& slot = at->second;
    slot.acl = sn.acl;
    slot.stat = sn.stat;
    set_data(sn.path, slot, sn.data);
    rehash(sn.path, slot);
    if (sn.stat.ephemeral_owner > 0) m_ephemerals[sn.stat.ephemeral_owner].insert(sn.path);
}

void DataTree::end_load(const SnapshotTrailer& trailer, std::int64_t name_zxid) {
    m_last_zxid = name_zxid;
    // A digest older than the name is ignored on load, as is an empty (0) one.
    if (trailer.digest && trailer.digest->zxid != 0 && trailer.digest->zxid >= name_zxid &&
        !trailer.digest->legacy_text) {
        m_pending_snapshot_digest = trailer.digest;
    }
    if (m_pending_snapshot_digest && m_pending_snapshot_digest->zxid == name_zxid) {
        m_load_check = {true, m_pending_snapshot_digest->digest, digest()};
        m_pending_snapshot_digest.reset();
    }
}

DataTree DataTree::from_snapshot(const Snapshot& snap, std::int64_t name_zxid) {
    DataTree t(true);
    t.begin_load();
    for (const auto& a : snap.acls) t.load_acl(a);
    for (const auto& s : snap.sessions) t.m_sessions[s.id] = s.timeout;
    for (const auto& sn : snap.nodes) t.load_node(sn);
    t.end_load(snap.trailer, name_zxid);
    return t;
}

DataTreeBuilder::DataTreeBuilder(bool keep_data, const WorkingSet* working_set) : m_tree(keep_data) {
    m_tree.begin_load();
    m_tree.m_working_set = working_set;
}

void DataTreeBuilder::on_session(const SnapshotSession& s) { m_tree.m_sessions[s.id] = s.timeout; }

void DataTreeBuilder::on_acl(const SnapshotAcl& a) { m_tree.load_acl(a); }

void DataTreeBuilder::on_node(const SnapshotNode& n) { m_tree.load_node(n); }

DataTree DataTreeBuilder::finish(std::int64_t name_zxid, const SnapshotTrailer& trailer) {
    m_tree.m_working_set = nullptr;
    m_tree.end_load(trailer, name_zxid);
    return std::move(m_tree);
}

DataTree DataTree::load(ByteSpan file, std::int64_t name_zxid, SnapshotReadResult& result,
                        const SnapshotReadOptions& options, bool keep_data, const WorkingSet* working_set) {
    if (keep_data && working_set) throw std::logic_error("DataTree::load: a working set needs a digest-only tree");
    auto load_with = [&](const WorkingSet* ws) {
        DataTreeBuilder builder(keep_data, ws);
        result = read_snapshot(file, builder, options);
        return builder.finish(name_zxid, result.trailer);
    };
    DataTree t = load_with(working_set);
    if (t.m_parents_missed.empty()) return t;
    WorkingSet wider = *working_set;  // an ephemeral's parent has no ephemeral children to add
    wider.paths.merge(t.m_parents_missed);
    return load_with(&wider);
}

std::uint64_t PathFingerprints::fingerprint(std::string_view path) {
    const std::uint64_t h = std::hash<std::string_view>{}(path);
    return h == 0 ? 1 : h;
}

bool PathFingerprints::contains(std::string_view path) const {
    if (m_slots.empty()) return false;
    const std::uint64_t f = fingerprint(path);
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t i = f & mask;; i = (i + 1) & mask) {
        if (m_slots[i] == f) return true;
        if (m_slots[i] == 0) return false;
    }
}

bool PathFingerprints::insert(std::string_view path) {
    if ((m_count + 1) * 2 > m_slots.size()) {  // at most half full
        std::vector<std::uint64_t> old(std::max<std::size_t>(1024, m_slots.size() * 2), 0);
        old.swap(m_slots);
        const std::size_t mask = m_slots.size() - 1;
        for (const std::uint64_t f : old) {
            if (f == 0) continue;
            std::size_t i = f & mask;
            while (m_slots[i] != 0) i = (i + 1) & mask;
            m_slots[i] = f;
        }
    }
    const std::uint64_t f = fingerprint(path);
    const std::size_t mask = m_slots.size() - 1;
    std::size_t i = f & mask;
    for (; m_slots[i] != 0; i = (i + 1) & mask) {
        if (m_slots[i] == f) return false;
    }
    m_slots[i] = f;
    ++m_count;
    return true;
}

void WorkingSet::add(const Txn& txn) {
    PathSet& set = paths;
    // killSession deletes the listed paths and then whatever else the
    // session owns: its ephemerals are needed whether or not it lists them.
    if (txn.header.type == op::closeSession) closed_sessions.insert(txn.header.client_id);
    auto add = [&set](const std::string& path) {
        if (path.empty() || path == "/") {
            set.insert(std::string());
            return;
        }
        set.insert(path);
        set.insert(parent_path(path));
    };
    auto add_body = [&add](const TxnBody& body, auto& self) -> void {
        std::visit(
            [&](const auto& b) {
                using T = std::decay_t<decltype(b)>;
                if constexpr (requires { b.path; }) {
                    add(b.path);
                } else if constexpr (std::is_same_v<T, CloseSessionTxn>) {
                    if (b.paths_to_delete && *b.paths_to_delete) {
                        for (const auto& p : **b.paths_to_delete) add(p);
                    }
                } else if constexpr (std::is_same_v<T, MultiTxn>) {
                    if (b.ops) {
                        for (const auto& op : *b.ops) self(op.body, self);
                    }
                }
            },
            body);
    };
    add_body(txn.body, add_body);
}

std::vector<std::string> DataTree::ephemerals_of(std::int64_t session) const {
    auto it = m_ephemerals.find(session);
    if (it == m_ephemerals.end()) return {};
    return {it->second.begin(), it->second.end()};
}

std::vector<Acl> DataTree::acl_list(std::int64_t acl_id) const {
    if (acl_id == kOpenAclId) return kOpenAcl;
    auto it = m_acls.find(acl_id);
    return it == m_acls.end() ? std::vector<Acl>{} : it->second;
}

const DataNode* DataTree::find(const std::string& path) const {
    auto it = m_nodes.find(path == "/" ? std::string() : path);
    return it == m_nodes.end() ? nullptr : &it->second;
}

std::int64_t DataTree::convert_acl(const AclList& acl) {
    if (!acl) return kOpenAclId;
    if (*acl == kOpenAcl) return kOpenAclId;
    for (const auto& [id, list] : m_acls) {
        if (list == *acl) return id;
    }
    m_acls[++m_next_acl] = *acl;
    return m_next_acl;
}

std::int32_t DataTree::create_node(const std::string& path, const Buffer& data, const AclList& acl,
                                   std::int64_t owner, std::int32_t parent_cversion, std::int64_t zxid,
                                   std::int64_t time) {
    if (path.empty() || path[0] != '/') return err::no_node;  // ZooKeeper would throw; nothing is applied
    auto pit = m_nodes.find(parent_path(path));
    if (pit == m_nodes.end()) return err::no_node;
    const std::int64_t acl_id = convert_acl(acl);
    if (m_nodes.count(path)) return err::node_exists;
    DataNode& parent = pit->second;
    unhash(pit->first, parent);
    if (parent_cversion == -1) parent_cversion = parent.stat.cversion + 1;
    // Replaying a create of a node that was created and deleted within the
    // fuzzy range must not move cversion/pzxid backwards.
    if (parent_cversion > parent.stat.cversion) {
        parent.stat.cversion = parent_cversion;
        parent.stat.pzxid = zxid;
    }
    if (m_keep_data) parent.add_child(child_name(path));
    rehash(pit->first, parent);
    DataNode n;
    n.acl = acl_id;
    n.stat.czxid = n.stat.mzxid = n.stat.pzxid = zxid;
    n.stat.ctime = n.stat.mtime = time;
    n.stat.ephemeral_owner = owner;
    auto& slot = m_nodes[path] = std::move(n);
    set_data(path, slot, data);
    rehash(path, slot);
    if (owner > 0) m_ephemerals[owner].insert(path);
    return err::ok;
}

std::int32_t DataTree::delete_node(const std::string& path, std::int64_t zxid) {
    if (path.empty() || path[0] != '/') return err::no_node;
    auto pit = m_nodes.find(parent_path(path));
    if (pit == m_nodes.end()) return err::no_node;
    DataNode& parent = pit->second;
    unhash(pit->first, parent);
    if (m_keep_data && parent.children) parent.children->erase(child_name(path));
    if (zxid > parent.stat.pzxid) parent.stat.pzxid = zxid;
    rehash(pit->first, parent);
    auto it = m_nodes.find(path);
    if (it == m_nodes.end()) return err::no_node;
    unhash(path, it->second);
    const std::int64_t owner = it->second.stat.ephemeral_owner;
    m_nodes.erase(it);
    if (owner > 0) {
        auto e = m_ephemerals.find(owner);
        if (e != m_ephemerals.end()) {
            e->second.erase(path);
            if (e->second.empty()) m_ephemerals.erase(e);
        }
    }
    return err::ok;
}

void DataTree::set_cversion_pzxid(const std::string& path, std::int32_t cversion, std::int64_t zxid) {
    auto it = m_nodes.find(path);
    if (it == m_nodes.end()) return;
    DataNode& n = it->second;
    if (cversion == -1) cversion = n.stat.cversion + 1;
    if (cversion > n.stat.cversion) {
        unhash(path, n);
        n.stat.cversion = cversion;
        n.stat.pzxid = zxid;
        rehash(path, n);
    }
}

void DataTree::kill_session(std::int64_t session, std::int64_t zxid, const std::vector<std::string>* paths) {
    // killSession: the txn's paths2Delete first, then whatever the session
    // still owns here.
    std::set<std::string> owned;
    if (auto e = m_ephemerals.find(session); e != m_ephemerals.end()) owned = e->second;
    if (paths != nullptr) {
        for (const auto& p : *paths) {
            delete_node(p, zxid);
            owned.erase(p);
        }
    }
    for (const auto& p : owned) delete_node(p, zxid);
}

std::int32_t DataTree::apply_body(const TxnHeader& h, const TxnBody& body) {
    const std::int64_t zxid = h.zxid;
    switch (h.type) {
    case op::create:
    case op::create2: {
        const auto& b = std::get<CreateTxn>(body);
        return create_node(b.path, b.data, b.acl, b.ephemeral ? h.client_id : 0, b.parent_cversion, zxid, h.time);
    }
    case op::createTTL: {
        const auto& b = std::get<CreateTtlTxn>(body);
        return create_node(b.path, b.data, b.acl, ttl_owner(b.ttl), b.parent_cversion, zxid, h.time);
    }
    case op::createContainer: {
        const auto& b = std::get<CreateContainerTxn>(body);
        return create_node(b.path, b.data, b.acl, kContainerOwner, b.parent_cversion, zxid, h.time);
    }
    case op::delete_:
    case op::deleteContainer:
        return delete_node(std::get<DeleteTxn>(body).path, zxid);
    case op::setData:
    case op::reconfig: {
        const auto& b = std::get<SetDataTxn>(body);
        auto it = m_nodes.find(b.path == "/" ? std::string() : b.path);
        if (it == m_nodes.end()) return err::no_node;
        DataNode& n = it->second;
        unhash(it->first, n);
        set_data(it->first, n, b.data);
        n.stat.mtime = h.time;
        n.stat.mzxid = zxid;
        n.stat.version = b.version;
        rehash(it->first, n);
        return err::ok;
    }
    case op::setACL: {
        const auto& b = std::get<SetAclTxn>(body);
        auto it = m_nodes.find(b.path == "/" ? std::string() : b.path);
        if (it == m_nodes.end()) return err::no_node;
        DataNode& n = it->second;
        unhash(it->first, n);
        n.stat.aversion = b.version;
        n.acl = convert_acl(b.acl);
        rehash(it->first, n);
        return err::ok;
    }
    case op::createSession:
        m_sessions[h.client_id] = std::get<CreateSessionTxn>(body).timeout;
        return err::ok;
    case op::closeSession: {
        m_sessions.erase(h.client_id);
        const auto& b = std::get<CloseSessionTxn>(body);
        const std::vector<std::string>* paths = nullptr;
        if (b.paths_to_delete && *b.paths_to_delete) paths = &**b.paths_to_delete;
        kill_session(h.client_id, zxid, paths);
        return err::ok;
    }
    case op::error:
        return std::get<ErrorTxn>(body).err;
    case op::multi: {
        const auto& m = std::get<MultiTxn>(body);
        if (!m.ops) return err::ok;
        bool failed = false;
        for (const auto& s : *m.ops) failed = failed || s.type == op::error;
        std::int32_t first = err::ok;
        bool post_failed = false;
        for (const auto& s : *m.ops) {
            std::int32_t rc;
            if (s.type == op::error) {
                post_failed = true;
                rc = std::holds_alternative<ErrorTxn>(s.body) ? std::get<ErrorTxn>(s.body).err : err::ok;
            } else if (failed) {
                rc = post_failed ? err::runtime_inconsistency : err::ok;
            } else if (!s.decode_error.empty()) {
                rc = err::ok;  // ZooKeeper would fail to deserialize it; nothing applied
            } else {
                TxnHeader sub = h;
                sub.type = s.type;
                rc = apply_body(sub, s.body);
            }
            if (rc != err::ok && first == err::ok) first = rc;
        }
        return first;
    }
    default:
        return err::ok;  // check and anything unknown change nothing
    }
}

ApplyResult DataTree::apply(const Txn& txn) {
    ApplyResult r;
    r.err = apply_body(txn.header, txn.body);
    if (txn.header.type == op::create && r.err == err::node_exists) {
        const auto& b = std::get<CreateTxn>(txn.body);
        set_cversion_pzxid(parent_path(b.path), b.parent_cversion, txn.header.zxid);
    }
    if (txn.header.zxid > m_last_zxid) m_last_zxid = txn.header.zxid;
    return r;
}

DigestCheck DataTree::apply_and_check(const Txn& txn) {
    apply(txn);
    DigestCheck check;
    if (m_pending_snapshot_digest) {
        if (txn.header.zxid == m_pending_snapshot_digest->zxid) {
            check.compared = true;
            check.expected = m_pending_snapshot_digest->digest;
            check.actual = digest();
            m_pending_snapshot_digest.reset();
        } else {
            return check;  // still inside the fuzzy range
        }
    }
    if (txn.digest && txn.digest->version == 2) {
        if (check.compared && check.expected != check.actual) return check;
        check.compared = true;
        check.expected = txn.digest->tree_digest;
        check.actual = digest();
    }
    return check;
}

}  // namespace zabra::zab
