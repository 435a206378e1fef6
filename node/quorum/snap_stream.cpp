#include "node/quorum/snap_stream.h"

#include "libformat/common/byte_cursor.h"
#include "libformat/zab/jute.h"
#include "libformat/zab/snapshot_body.h"
#include "libformat/zab/snapshot_writer.h"
#include "node/persistence.h"

#include <limits>

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

std::string encode_snap_stream(const zab::DataTree& tree,
                               const std::vector<std::pair<std::int64_t, std::int32_t>>& sessions) {
    std::vector<zab::SnapshotSession> ss;
    for (const auto& [id, timeout] : sessions) ss.push_back({id, timeout});
    std::vector<zab::SnapshotAcl> acls;
    for (const auto& [id, list] : tree.acls()) acls.push_back({id, list});
    std::string out;
    zab::append_snapshot_body_head(out, ss, acls);
    FuzzySnapshot nodes(tree.last_processed_zxid());  // the tree does not change meanwhile: not fuzzy at all
    nodes.step(tree, std::numeric_limits<std::size_t>::max());
    out += nodes.finish(tree, tree.last_processed_zxid(), {}).nodes;
    zab::JuteWriter w(out);
    w.string("/");
    w.string("BenWasHere");
    return out;
}

}  // namespace zabra::node::quorum
