// Encodes a snapshot exactly as FileSnap.serialize + SnapStream write it.
#pragma once

#include "libformat/zab/snapshot.h"

namespace zabra::zab {

// The uncompressed stream, with seals computed (the stored values in
// snap.trailer are ignored; which optional sections exist is taken from it).
std::string encode_snapshot_stream(const Snapshot& snap);

// The same stream piece by piece, for a writer that serialises a live tree
// a slice at a time: the head, each node, then the trailer (end marker,
// seals, and the digest and lastProcessedZxid sections present in it).
void append_snapshot_head(std::string& out, const SnapshotHeader& header, const std::vector<SnapshotSession>& sessions,
                          const std::vector<SnapshotAcl>& acls);
// The head without the file header: what a leader's SNAP stream starts with.
void append_snapshot_body_head(std::string& out, const std::vector<SnapshotSession>& sessions,
                               const std::vector<SnapshotAcl>& acls);
void append_snapshot_node(std::string& out, std::string_view path, const Buffer& data, std::int64_t acl,
                          const StatPersisted& stat);
void append_snapshot_trailer(std::string& out, const SnapshotTrailer& trailer);

// The file bytes for `compression`.
std::string encode_snapshot(const Snapshot& snap, Compression compression);

}  // namespace zabra::zab
