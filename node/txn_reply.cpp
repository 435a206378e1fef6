#include "node/txn_reply.h"

#include "node/processor.h"

namespace zabra::node {

namespace {

Stat stat_at(const zab::DataTree& tree, const std::string& path) {
    const zab::DataNode* n = tree.find(path);
    return n != nullptr ? node_stat(*n) : Stat{};
}

}  // namespace

Reply reply_for_committed(const zab::Txn& t, std::int32_t request_type, std::int32_t xid, const zab::DataTree& tree) {
    Reply r;
    r.xid = xid;
    r.zxid = t.header.zxid;
    if (t.header.type == zab::op::error) {
        r.err = std::get<zab::ErrorTxn>(t.body).err;
        return r;
    }
    const std::string* p = zab::txn_path(t.body);
    const std::optional<std::string> path = p ? std::optional<std::string>(*p) : std::nullopt;
    switch (request_type) {
    case opcode::create: r.body = path.value_or(std::string()); break;
    case opcode::create2:
    case opcode::createContainer:
    case opcode::createTTL: r.body = std::pair<std::string, Stat>{*path, stat_at(tree, *path)}; break;
    case opcode::setData:
    case opcode::setACL: r.body = stat_at(tree, path.value_or(std::string())); break;
    case opcode::sync: r.body = path.value_or(std::string()); break;
    case opcode::multi: {
        const auto& ops = *std::get<zab::MultiTxn>(t.body).ops;
        bool failed = false;
        for (const auto& sub : ops) failed = failed || sub.type == zab::op::error;
        std::vector<MultiResult> results;
        for (const auto& sub : ops) {
            MultiResult m;
            if (failed) {
                // DataTree.processTxn: ops before the failure answer ok, the failure its code, the rest theirs
                m.type = opcode::error;
                m.err = sub.type == zab::op::error ? std::get<zab::ErrorTxn>(sub.body).err : code::ok;
            } else {
                m.type = sub.type;
                const std::string* sp = zab::txn_path(sub.body);
                m.path = sp ? *sp : std::string();
                if (sub.type != zab::op::create && sub.type != zab::op::delete_ && sub.type != zab::op::check) {
                    m.stat = stat_at(tree, m.path);
                }
            }
            results.push_back(std::move(m));
        }
        r.body = std::move(results);
        break;
    }
    default: break;  // delete, deleteContainer, check, closeSession: no body
    }
    return r;
}

}  // namespace zabra::node
