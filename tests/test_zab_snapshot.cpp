// Snapshot decoding, sealing and re-encoding on real ZooKeeper 3.8 snapshots.
#include "helpers.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/snapshot_writer.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace zabra;
using namespace zabra::zab;
namespace fs = std::filesystem;

namespace {

Snapshot load(const std::string& bytes, SnapshotReadResult& r) { return load_snapshot(as_bytes(bytes), r); }

fs::path plain_snapshot_with_nodes() {
    fs::path best;
    std::uintmax_t size = 0;
    for (const auto& p : test::fixture_snapshots()) {
        if (p.extension() == ".gz" || p.extension() == ".snappy") continue;
        if (fs::file_size(p) > size && p.string().find("/standalone/") != std::string::npos) {
            size = fs::file_size(p);
            best = p;
        }
    }
    return best;
}

}  // namespace

// TV7 is this file's number in the format notes zabra was first written from;
// its layout is in doc/zookeeper-snapshot.md §1.
TEST_CASE("the empty-tree snapshot.0 decodes as the spec's TV7 describes") {
    const std::string bytes = test::slurp(test::fixtures() / "zk/standalone/data/version-2/snapshot.0");
    CHECK(bytes.size() == 457);
    SnapshotReadResult r;
    const Snapshot s = load(bytes, r);
    CHECK(r.ok());
    CHECK(s.header.magic == kSnapshotMagic);
    CHECK(s.header.dbid == -1);
    CHECK(s.sessions.empty());
    REQUIRE(s.acls.size() == 1);
    CHECK(s.acls[0].id == 1);
    CHECK(*s.acls[0].acls == std::vector<Acl>{{1, "world", "anyone"}});
    REQUIRE(s.nodes.size() == 4);
    CHECK(s.nodes[0].path == "");
    CHECK(s.nodes[0].acl == kOpenAclId);
    REQUIRE(s.trailer.digest);
    CHECK(s.trailer.digest->zxid == 0);
    CHECK(s.trailer.digest->digest == 0);
    CHECK(s.trailer.seal1->offset == 0x19b);
    CHECK(s.trailer.seal1->stored == 0xb8a23b49u);
    CHECK(s.trailer.seal2->stored == 0x95b93d59u);
    CHECK_FALSE(s.trailer.last_processed_zxid);  // 3.9+ only
    const auto config = std::find_if(s.nodes.begin(), s.nodes.end(),
                                     [](const SnapshotNode& n) { return n.path == "/zookeeper/config"; });
    REQUIRE(config != s.nodes.end());
    CHECK(config->acl == 1);
    CHECK(config->stat.aversion == -1);
}

TEST_CASE("every fixture snapshot decodes with every seal matching, and re-encodes to the same bytes") {
    const auto snaps = test::fixture_snapshots();
    REQUIRE(snaps.size() >= 8);
    int gz = 0, snappy = 0;
    for (const auto& p : snaps) {
        CAPTURE(p);
        const std::string bytes = test::slurp(p);
        SnapshotReadResult r;
        const Snapshot s = load(bytes, r);
        CHECK_MESSAGE(r.ok(), r.error.value_or("seal mismatch"));
        const auto name = parse_data_file_name(p.filename().string());
        REQUIRE(name);
        CHECK(r.compression == name->name_compression);  // content agrees with the name ZooKeeper goes by
        gz += r.compression == Compression::Gzip;
        snappy += r.compression == Compression::Snappy;
        CHECK(encode_snapshot_stream(s).size() == r.stream_bytes);
        CHECK(encode_snapshot(s, r.compression) == bytes);
    }
    CHECK(gz >= 1);
    CHECK(snappy >= 1);
}

TEST_CASE("seals are checked separately, so body damage and digest damage are told apart") {
    const fs::path p = plain_snapshot_with_nodes();
    REQUIRE_FALSE(p.empty());
    const std::string bytes = test::slurp(p);
    SnapshotReadResult good;
    const Snapshot s = load(bytes, good);
    REQUIRE(good.ok());
    REQUIRE(s.trailer.digest);

    SUBCASE("a flipped mzxid byte in a node: seal 1 fails, the rest still decodes") {
        std::string b = bytes;
        const auto& node = s.nodes.back();
        // path (4 + len), data (4 + len), acl (8), czxid (8): the low byte of mzxid
        std::uint64_t at = node.offset + 4 + node.path.size() + 4 + (node.data ? node.data->size() : 0) + 8 + 8 + 7;
        b[at] = static_cast<char>(b[at] ^ 0x01);
        SnapshotReadResult r;
        load(b, r);
        CHECK_FALSE(r.error);
        CHECK_FALSE(r.trailer.seal1->ok());
        CHECK_FALSE(r.ok());
    }
    SUBCASE("a flipped digest byte: seal 1 holds, seal 2 fails") {
        std::string b = bytes;
        const std::uint64_t digest_at = s.trailer.seal1->offset + 8 + 5 + 8 + 4 + 7;
        b[digest_at] = static_cast<char>(b[digest_at] ^ 0x80);
        SnapshotReadResult r;
        load(b, r);
        CHECK(r.trailer.seal1->ok());
        REQUIRE(r.trailer.seal2);
        CHECK_FALSE(r.trailer.seal2->ok());
    }
    SUBCASE("truncated anywhere: an error at the offset where the data ran out") {
        for (std::size_t cut : {std::size_t{10}, bytes.size() / 2, bytes.size() - 14}) {
            CAPTURE(cut);
            SnapshotReadResult r;
            load(bytes.substr(0, cut), r);
            CHECK(r.error);
            CHECK(r.truncated);
            CHECK(r.error_offset <= cut);
            CHECK_FALSE(r.ok());
        }
    }
    SUBCASE("a node data length of 2^31-1 is refused as unreasonable without allocating") {
        std::string b = bytes;
        const auto& node = s.nodes.back();
        const std::uint64_t at = node.offset + 4 + node.path.size();
        b[at] = '\x7f';
        b[at + 1] = b[at + 2] = b[at + 3] = '\xff';
        SnapshotReadResult r;
        load(b, r);
        REQUIRE(r.error);
        CHECK_FALSE(r.truncated);
        CHECK(r.error->find("unreasonable length 2147483647") != std::string::npos);
    }
}

TEST_CASE("damaged compressed snapshots are errors, not crashes") {
    for (const auto& p : test::fixture_snapshots()) {
        if (p.extension() != ".gz" && p.extension() != ".snappy") continue;
        CAPTURE(p);
        const std::string bytes = test::slurp(p);
        SnapshotReadResult r;
        load(bytes.substr(0, bytes.size() / 2), r);
        CHECK(r.error);
        std::string flipped = bytes;
        flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 0x55);
        load(flipped, r);
        CHECK_FALSE(r.ok());
    }
}

TEST_CASE("a snapshot written with compression reads back identical") {
    const std::string bytes = test::slurp(plain_snapshot_with_nodes());
    SnapshotReadResult r;
    const Snapshot s = load(bytes, r);
    for (auto c : {Compression::Gzip, Compression::Snappy}) {
        const std::string enc = encode_snapshot(s, c);
        CHECK(detect_compression(as_bytes(enc)) == c);
        SnapshotReadResult r2;
        const Snapshot back = load(enc, r2);
        CHECK(r2.ok());
        CHECK(back.nodes == s.nodes);
        CHECK(encode_snapshot_stream(back) == bytes);
    }
}

TEST_CASE("a 3.9 snapshot's lastProcessedZxid section and third seal are read and checked") {
    SnapshotReadResult r;
    Snapshot s = load(test::slurp(plain_snapshot_with_nodes()), r);
    REQUIRE(r.ok());
    s.trailer.last_processed_zxid = 0x1234;
    const std::string bytes = encode_snapshot(s, Compression::None);
    SnapshotReadResult r39;
    const Snapshot back = load(bytes, r39);
    CHECK(r39.ok());
    REQUIRE(back.trailer.last_processed_zxid);
    CHECK(*back.trailer.last_processed_zxid == 0x1234);
    REQUIRE(back.trailer.seal3);
    CHECK(back.trailer.seal3->ok());
    CHECK(bytes.ends_with(std::string("\0\0\0\1/", 5)));  // ZooKeeper's quick validity check

    std::string damaged = bytes;
    damaged[back.trailer.seal3->offset - 1] ^= 0x01;  // last byte of lastProcessedZxid
    SnapshotReadResult bad;
    load(damaged, bad);
    CHECK(bad.trailer.seal1->ok());
    CHECK(bad.trailer.seal2->ok());
    CHECK_FALSE(bad.trailer.seal3->ok());
    CHECK_FALSE(bad.ok());
}

TEST_CASE("a snapshot without the digest section (digest disabled, or 3.5) ends after seal 1") {
    for (const auto& p : test::fixture_snapshots()) {
        if (p.string().find("/legacy/") == std::string::npos) continue;
        CAPTURE(p);
        SnapshotReadResult r;
        const Snapshot s = load(test::slurp(p), r);
        CHECK(r.ok());
        CHECK(s.trailer.seal1);
        CHECK_FALSE(s.trailer.digest);
        CHECK_FALSE(s.trailer.seal2);
    }
}
