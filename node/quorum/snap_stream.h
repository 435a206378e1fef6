// What follows a SNAP packet on the quorum port (doc/zab-quorum-port.md): the
// leader's tree, serialised as a snapshot file's body but with no file
// header, seals or digest, then a signature.
//
//   snap_stream := body (libformat/zab/snapshot_body.h) ‖ ustring "BenWasHere"
#pragma once

#include "libformat/common/bytes.h"
#include "libformat/zab/snapshot_reader.h"

#include <cstdint>
#include <optional>

namespace zabra::node::quorum {

// Reads the stream from the start of `bytes`, handing sessions, ACLs and
// nodes to `visitor`. Returns nothing while the stream is incomplete (the
// visitor may then have been called for part of it: read it again from the
// start with a fresh visitor once more bytes came); throws FormatError for a
// stream a learner refuses (a hostile length, no signature). `used` gets the
// stream's length.
std::optional<zab::SnapshotReadResult> read_snap_stream(ByteSpan bytes, zab::SnapshotVisitor& visitor,
                                                        std::size_t& used, std::uint32_t max_buffer);

}  // namespace zabra::node::quorum
