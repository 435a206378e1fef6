#include "libformat/zab/stats.h"

#include "libformat/zab/data_dir.h"
#include "libformat/zab/data_tree.h"

namespace zabra::zab {

std::string path_prefix(std::string_view path, int depth) {
    if (path.empty() || path == "/") return "/";
    std::size_t at = 0;
    for (int i = 0; i < depth; ++i) {
        const auto next = path.find('/', at + 1);
        if (next == std::string_view::npos) return std::string(path);
        at = next;
    }
    return at == 0 ? "/" : std::string(path.substr(0, at));
}

void LogStats::add(const Txn& t, std::uint64_t payload_bytes) {
    const auto& h = t.header;
    total.add(payload_bytes);
    if (!first_zxid || h.zxid < *first_zxid) first_zxid = h.zxid;
    if (!last_zxid || h.zxid > *last_zxid) last_zxid = h.zxid;
    if (!first_time || h.time < *first_time) first_time = h.time;
    if (!last_time || h.time > *last_time) last_time = h.time;
    by_type[h.type].add(payload_bytes);
    by_session[h.client_id].add(payload_bytes);
    by_epoch[zxid_epoch(h.zxid)].add(payload_bytes);
    ++per_second[h.time >= 0 ? h.time / 1000 : (h.time - 999) / 1000];
    if (const std::string* p = txn_path(t.body)) by_prefix[path_prefix(*p, depth)].add(payload_bytes);
    if (const auto* m = std::get_if<MultiTxn>(&t.body); m != nullptr && m->ops) {
        for (const auto& op : *m->ops) {
            ops_by_type[op.type].add(op.raw ? op.raw->size() : 0);
            if (const std::string* p = txn_path(op.body)) by_prefix[path_prefix(*p, depth)].add(op.raw->size());
        }
    }
}

void SnapshotStats::add(const SnapshotNode& n) {
    const std::uint64_t bytes = n.data ? n.data->size() : 0;
    const std::int64_t owner = n.stat.ephemeral_owner;
    const bool ephemeral = owner > 0;
    ++nodes;
    data_bytes += bytes;
    ephemerals += ephemeral;
    containers += owner == kContainerOwner;
    ttls += owner < 0 && owner != kContainerOwner;
    max_mzxid = std::max(max_mzxid, n.stat.mzxid);
    // Count the node in every ancestor subtree down to `depth`, itself included.
    const std::string path = n.path.empty() ? "/" : n.path;
    for (int d = 0; d <= depth; ++d) {
        const std::string prefix = path_prefix(path, d);
        SubtreeTally& t = subtrees[prefix];
        ++t.nodes;
        t.data_bytes += bytes;
        t.ephemerals += ephemeral;
        if (prefix == path) break;
    }
}

}  // namespace zabra::zab
