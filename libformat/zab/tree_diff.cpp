#include "libformat/zab/data_dir.h"
#include "libformat/zab/tree_diff.h"

#include "libformat/common/mapped_file.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"

#include <fmt/format.h>

#include <algorithm>

namespace zabra::zab {

namespace {

const std::vector<Acl> kOpenAcl = {{31, "world", "anyone"}};


}  // namespace

TreeView view_of(const Snapshot& snap) {
    std::map<std::int64_t, const AclList*> acls;
    for (const auto& a : snap.acls) acls[a.id] = &a.acls;
    TreeView v;
    for (const auto& n : snap.nodes) {
        NodeView nv{n.data, n.stat, std::nullopt};
        if (n.acl == kOpenAclId) {
            nv.acl = kOpenAcl;
        } else if (auto it = acls.find(n.acl); it != acls.end()) {
            nv.acl = *it->second;
        }
        v.emplace(n.path.empty() ? "/" : n.path, std::move(nv));
    }
    return v;
}

TreeView view_of(const DataTree& tree) {
    TreeView v;
    for (const auto& [path, n] : tree.nodes()) {
        NodeView nv{n.data, n.stat, std::nullopt};
        if (n.acl == kOpenAclId) {
            nv.acl = kOpenAcl;
        } else if (auto it = tree.acls().find(n.acl); it != tree.acls().end()) {
            nv.acl = it->second;
        }
        v.emplace(path.empty() ? "/" : path, std::move(nv));
    }
    return v;
}

std::vector<NodeChange> diff_trees(const TreeView& a, const TreeView& b) {
    std::vector<NodeChange> out;
    auto ia = a.begin();
    auto ib = b.begin();
    while (ia != a.end() || ib != b.end()) {
        if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
            out.push_back({NodeChange::Kind::Removed, ia->first, ia->second, std::nullopt, {}});
            ++ia;
        } else if (ia == a.end() || ib->first < ia->first) {
            out.push_back({NodeChange::Kind::Added, ib->first, std::nullopt, ib->second, {}});
            ++ib;
        } else {
            if (!(ia->second == ib->second)) {
                NodeChange c{NodeChange::Kind::Changed, ia->first, ia->second, ib->second, {}};
                const auto& x = ia->second;
                const auto& y = ib->second;
                auto field = [&](bool differs, const char* name) {
                    if (differs) c.fields.emplace_back(name);
                };
                field(x.data != y.data, "data");
                field(x.acl != y.acl, "acl");
                field(x.stat.czxid != y.stat.czxid, "czxid");
                field(x.stat.mzxid != y.stat.mzxid, "mzxid");
                field(x.stat.pzxid != y.stat.pzxid, "pzxid");
                field(x.stat.ctime != y.stat.ctime, "ctime");
                field(x.stat.mtime != y.stat.mtime, "mtime");
                field(x.stat.version != y.stat.version, "version");
                field(x.stat.cversion != y.stat.cversion, "cversion");
                field(x.stat.aversion != y.stat.aversion, "aversion");
                field(x.stat.ephemeral_owner != y.stat.ephemeral_owner, "ephemeral_owner");
                out.push_back(std::move(c));
            }
            ++ia;
            ++ib;
        }
    }
    return out;
}

DataTree tree_at(const std::vector<std::filesystem::path>& dirs, std::int64_t zxid) {
    std::vector<DataFile> logs, snaps;
    for (const auto& d : dirs) {
        DataDir dd = list_data_dir(d);
        for (auto& f : dd.logs) {
            if (f.name.canonical) logs.push_back(std::move(f));
        }
        for (auto& f : dd.snapshots) {
            if (f.name.canonical) snaps.push_back(std::move(f));
        }
    }
    auto by_zxid = [](const DataFile& a, const DataFile& b) { return a.name.zxid < b.name.zxid; };
    std::sort(logs.begin(), logs.end(), by_zxid);
    std::sort(snaps.begin(), snaps.end(), by_zxid);

    std::optional<DataTree> tree;
    std::int64_t at = 0;
    for (auto it = snaps.rbegin(); it != snaps.rend() && !tree; ++it) {
        if (it->name.zxid > zxid) continue;
        MappedFile m(it->path);
        SnapshotReadResult r;
        const Snapshot s = load_snapshot(m.bytes(), r);
        if (!r.ok()) continue;  // ZooKeeper would skip it too
        try {
            tree = DataTree::from_snapshot(s, it->name.zxid);
            at = it->name.zxid;
        } catch (const FormatError&) {
        }
    }
    if (!tree) {
        if (logs.empty() || logs.front().name.zxid != 1) {
            throw std::runtime_error(fmt::format("no valid snapshot at or before {} and the logs do not start at "
                                                 "zxid 0x1: the tree at {} cannot be rebuilt",
                                                 zxid_hex(zxid), zxid_hex(zxid)));
        }
        tree.emplace();
    }
    bool past = false;  // a txn after `zxid` was seen: the state at zxid is complete
    for (std::size_t i = 0; i < logs.size() && at < zxid && !past; ++i) {
        if (i + 1 < logs.size() && logs[i + 1].name.zxid <= at + 1) continue;  // holds nothing we need
        MappedFile m(logs[i].path);
        TxnLogReader r(m);
        TxnLogRecord rec;
        while (r.next(rec)) {
            const Txn t = decode_txn(rec.payload);
            if (t.header.zxid <= at) continue;
            const bool gap = at != 0 && !zxid_follows(at, t.header.zxid);
            if (t.header.zxid > zxid && !gap) {
                past = true;
                break;
            }
            if (gap) {
                throw std::runtime_error(fmt::format("the logs jump from {} to {} ({}): the tree at {} cannot be "
                                                     "rebuilt",
                                                     zxid_hex(at), zxid_hex(t.header.zxid), logs[i].path.filename().string(),
                                                     zxid_hex(zxid)));
            }
            tree->apply(t);
            at = t.header.zxid;
        }
    }
    if (at < zxid && !past) {
        throw std::runtime_error(fmt::format("the logs end at {}, before {}", zxid_hex(at), zxid_hex(zxid)));
    }
    return std::move(*tree);
}

}  // namespace zabra::zab
