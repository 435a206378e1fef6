// The quorum-port streams of a real ZooKeeper 3.8 ensemble
// (tests/fixtures/zk-quorum/, captured by scripts/make-quorum-fixtures),
// read packet by packet, for the tests that take them as their oracle.
#pragma once

#include "helpers.h"
#include "libformat/zab/jute.h"
#include "node/quorum/quorum_packet.h"
#include "node/quorum/snap_stream.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

namespace zabra::test {

inline std::filesystem::path quorum_fixtures() { return fixtures() / "zk-quorum"; }

inline std::map<std::string, std::string> quorum_state() { return key_values(quorum_fixtures() / "state.txt"); }

// Counts what a SNAP stream holds.
struct SnapTreeCount final : zab::SnapshotVisitor {
    std::uint64_t nodes = 0;
    bool root = false, zookeeper = false;
    void on_node(const zab::SnapshotNode& n) override {
        ++nodes;
        root = root || n.path.empty();
        zookeeper = zookeeper || n.path == "/zookeeper";
    }
};

// Every packet of one captured direction; each re-encodes to its bytes, and
// the tree after a SNAP packet is read through (it holds the root and
// /zookeeper, and as many nodes as the stream says).
inline std::vector<node::quorum::QuorumPacket> packets_of(const std::string& bytes) {
    using namespace node::quorum;
    std::vector<QuorumPacket> out;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        std::size_t used = 0;
        const auto p = next_quorum_packet(as_bytes(bytes).subspan(pos), used, zab::kDefaultMaxBuffer);
        REQUIRE(p);  // a captured stream ends at a packet's end
        CHECK(encode_quorum_packet(*p) == bytes.substr(pos, used));
        out.push_back(*p);
        pos += used;
        if (p->type == kSnap) {
            SnapTreeCount tree;
            const auto snap = read_snap_stream(as_bytes(bytes).subspan(pos), tree, used, zab::kDefaultMaxBuffer);
            REQUIRE(snap);
            CHECK(tree.root);
            CHECK(tree.zookeeper);
            CHECK(snap->nodes == tree.nodes);
            pos += used;
        }
    }
    return out;
}

}  // namespace zabra::test
