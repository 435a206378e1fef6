// Encodes a snapshot exactly as FileSnap.serialize + SnapStream write it.
#pragma once

#include "libformat/zab/snapshot.h"

namespace zabra::zab {

// The uncompressed stream, with seals computed (the stored values in
// snap.trailer are ignored; which optional sections exist is taken from it).
std::string encode_snapshot_stream(const Snapshot& snap);

// The file bytes for `compression`.
std::string encode_snapshot(const Snapshot& snap, Compression compression);

}  // namespace zabra::zab
