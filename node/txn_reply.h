// The reply to a client whose write another server prepared: a follower
// forwards the request to the leader and answers once the txn comes back
// committed and applied, from the txn and the tree, as ZooKeeper's
// FinalRequestProcessor does (doc/zabra-node-pipeline.md).
#pragma once

#include "libformat/zab/data_tree.h"
#include "libformat/zab/txn.h"
#include "node/wire.h"

#include <cstdint>

namespace zabra::node {

// `request_type`: what the client asked (create and create2 log the same
// txn and answer differently); `xid`: the client's. Call after the tree has
// applied `t`. A multi's setData results show the node as the whole multi
// left it (ZooKeeper shows it as that op left it; they differ only when one
// multi changes a node twice).
Reply reply_for_committed(const zab::Txn& t, std::int32_t request_type, std::int32_t xid, const zab::DataTree& tree);

}  // namespace zabra::node
