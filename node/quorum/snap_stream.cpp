#include "node/quorum/snap_stream.h"

#include "libformat/common/byte_cursor.h"
#include "libformat/zab/snapshot_body.h"

namespace zabra::node::quorum {

std::optional<zab::SnapshotReadResult> read_snap_stream(ByteSpan bytes, zab::SnapshotVisitor& visitor,
                                                        std::size_t& used, std::uint32_t max_buffer) {
    ByteCursor c(bytes);
    zab::JuteReader<ByteCursor> r(c, max_buffer);
    zab::SnapshotReadResult result;
    try {
        zab::read_snapshot_body(r, c, visitor, result, max_buffer);
        const std::uint64_t at = c.position();
        if (r.string("signature") != "BenWasHere") {
            throw FormatError("the SNAP stream does not end with the signature \"BenWasHere\"", at);
        }
    } catch (const TruncatedError&) {
        return std::nullopt;
    }
    used = c.index();
    result.stream_bytes = used;
    return result;
}

}  // namespace zabra::node::quorum
