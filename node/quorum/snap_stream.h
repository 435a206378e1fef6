// What follows a SNAP packet on the quorum port (doc/zab-quorum-port.md): the
// leader's tree, serialised as a snapshot file's body but with no file
// header, seals or digest, then a signature.
//
//   snap_stream := body (libformat/zab/snapshot_body.h) ‖ ustring "BenWasHere"
//   body        := int32 n ‖ (int64 session ‖ int32 timeout)*n ‖ acl cache ‖ node* ‖ ustring "/"
#pragma once

#include "libformat/common/bytes.h"
#include "libformat/zab/data_tree.h"
#include "libformat/zab/snapshot_reader.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace zabra::node::quorum {

// Reads the stream from the start of `bytes`, handing sessions, ACLs and
// nodes to `visitor`. Returns nothing while the stream is incomplete (the
// visitor may then have been called for part of it: read it again from the
// start with a fresh visitor once more bytes came); throws FormatError for a
// stream a learner refuses (a hostile length, no signature). `used` gets the
// stream's length.
std::optional<zab::SnapshotReadResult> read_snap_stream(ByteSpan bytes, zab::SnapshotVisitor& visitor,
                                                        std::size_t& used, std::uint32_t max_buffer);

// What a leader sends after SNAP: the whole tree, with `sessions` (id,
// timeout ms) as the session tracker holds them, nodes depth first as
// snapshot files have them, then the signature. (A learner builds its tree
// from it with zab::DataTreeBuilder.)
std::string encode_snap_stream(const zab::DataTree& tree,
                               const std::vector<std::pair<std::int64_t, std::int32_t>>& sessions);

}  // namespace zabra::node::quorum
