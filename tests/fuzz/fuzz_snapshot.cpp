// fuzz_snapshot: arbitrary bytes as a snapshot file (plain, gzip or xerial
// snappy, detected by content). Checks that
//  - read_snapshot never crashes or throws, hands every field of every
//    session/ACL/node to the visitor, and reports counts and offsets that agree
//    with what it visited;
//  - load_snapshot agrees with read_snapshot;
//  - a snapshot that decoded completely loads into a DataTree
//    (DataTree::from_snapshot may only throw FormatError);
//  - such a snapshot survives encode_snapshot_stream (and encode_snapshot with
//    its own compression) -> load_snapshot with every seal matching and the
//    same header, sessions, ACLs, nodes and trailer.
#include "fuzz_check.h"
#include "libformat/common/error.h"
#include "libformat/zab/data_tree.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/snapshot_writer.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace zabra;
using namespace zabra::zab;

namespace {

// Folds every byte it is shown into a hash, so each field is really read.
class TouchingVisitor final : public SnapshotVisitor {
public:
    void on_header(const SnapshotHeader& h) override {
        ++headers;
        mix(h.magic), mix(h.version), mix(h.dbid);
    }
    void on_session(const SnapshotSession& s) override {
        ++sessions;
        mix(s.id), mix(s.timeout);
    }
    void on_acl(const SnapshotAcl& a) override {
        ++acls;
        mix(a.id);
        FUZZ_CHECK(a.acls.has_value());  // the reader rejects a null list
        for (const auto& acl : *a.acls) {
            mix(acl.perms);
            mix(acl.scheme);
            mix(acl.id);
        }
    }
    void on_node(const SnapshotNode& n) override {
        ++nodes;
        FUZZ_CHECK(n.path != "/");  // "/" ends the node list
        FUZZ_CHECK(n.offset >= last_node_offset);
        last_node_offset = n.offset;
        mix(n.path);
        mix(n.data.has_value());
        if (n.data) mix(*n.data);
        mix(n.acl);
        const StatPersisted& s = n.stat;
        mix(s.czxid), mix(s.mzxid), mix(s.ctime), mix(s.mtime), mix(s.version), mix(s.cversion), mix(s.aversion),
            mix(s.ephemeral_owner), mix(s.pzxid);
    }

    std::uint64_t headers = 0, sessions = 0, acls = 0, nodes = 0;
    std::uint64_t last_node_offset = 0;
    std::uint64_t hash = 1469598103934665603ull;

private:
    void mix(std::uint64_t v) { hash = (hash ^ v) * 1099511628211ull; }
    void mix(const std::string& s) {
        mix(s.size());
        for (unsigned char c : s) mix(c);
    }
};

void check_same(const Snapshot& a, const Snapshot& b) {
    FUZZ_CHECK(a.header.magic == b.header.magic && a.header.version == b.header.version &&
               a.header.dbid == b.header.dbid);
    FUZZ_CHECK(a.sessions == b.sessions);
    FUZZ_CHECK(a.acls == b.acls);
    FUZZ_CHECK(a.nodes == b.nodes);
    FUZZ_CHECK(a.trailer.seal1.has_value() == b.trailer.seal1.has_value());
    FUZZ_CHECK(a.trailer.digest == b.trailer.digest);
    FUZZ_CHECK(a.trailer.seal2.has_value() == b.trailer.seal2.has_value());
    FUZZ_CHECK(a.trailer.last_processed_zxid == b.trailer.last_processed_zxid);
    FUZZ_CHECK(a.trailer.seal3.has_value() == b.trailer.seal3.has_value());
}

void check_reencoded(const Snapshot& snap, const std::string& bytes, Compression compression) {
    SnapshotReadResult r;
    const Snapshot again = load_snapshot(as_bytes(bytes), r);
    if (!r.ok()) std::fprintf(stderr, "re-encoded snapshot: %s\n", r.error.value_or("a seal differs").c_str());
    FUZZ_CHECK(r.ok());
    FUZZ_CHECK(!r.extra_data);
    FUZZ_CHECK(r.compression == compression);
    check_same(snap, again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteSpan file(data, size);

    TouchingVisitor v;
    const SnapshotReadResult result = read_snapshot(file, v);
    FUZZ_CHECK(result.compression == detect_compression(file));
    FUZZ_CHECK(v.headers <= 1);
    FUZZ_CHECK(result.sessions == v.sessions && result.acls == v.acls && result.nodes == v.nodes);
    FUZZ_CHECK(result.error_offset <= result.stream_bytes || !result.error);
    if (result.truncated) FUZZ_CHECK(result.error.has_value());
    if (result.ok()) FUZZ_CHECK(!result.error && result.trailer.seal1);
    if (result.trailer.seal2) FUZZ_CHECK(result.trailer.seal1 && result.trailer.digest);
    if (result.trailer.seal3) FUZZ_CHECK(result.trailer.seal2 && result.trailer.last_processed_zxid);
    if (result.error) FUZZ_CHECK(!result.error->empty() && !result.extra_data);

    SnapshotReadResult loaded;
    const Snapshot snap = load_snapshot(file, loaded);
    FUZZ_CHECK(loaded.error == result.error && loaded.ok() == result.ok());
    FUZZ_CHECK(snap.sessions.size() == result.sessions && snap.acls.size() == result.acls &&
               snap.nodes.size() == result.nodes);
    FUZZ_CHECK(loaded.stream_bytes == result.stream_bytes);

    // Decoded completely (every ok() result, plus complete ones whose stored
    // seals are wrong: the seals are recomputed on re-encoding).
    if (loaded.error) return 0;

    const std::int64_t name_zxid = snap.trailer.digest ? snap.trailer.digest->zxid : 0;
    try {
        const DataTree tree = DataTree::from_snapshot(snap, name_zxid);
        if (!snap.nodes.empty()) FUZZ_CHECK(tree.find("") != nullptr);  // every parent was found
        (void)tree.digest();
        (void)tree.load_check().matches();
        FUZZ_CHECK(tree.nodes().size() <= snap.nodes.size());
    } catch (const FormatError&) {
        // a node whose parent is missing
    }

    check_reencoded(snap, encode_snapshot_stream(snap), Compression::None);
    if (snap.compression != Compression::None) {
        check_reencoded(snap, encode_snapshot(snap, snap.compression), snap.compression);
    }
    return 0;
}
