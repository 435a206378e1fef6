// Replaying real logs reproduces ZooKeeper's tree digest at every txn that
// carries one: starting from every snapshot (fuzzy range handled as
// ZooKeeper does) and from an empty tree.
#include "helpers.h"
#include "libformat/common/mapped_file.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/data_tree.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/snapshot_writer.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>

using namespace zabra;
using namespace zabra::zab;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> fixture_data_dirs() {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(test::fixtures() / "zk")) {
        if (e.is_directory() && e.path().filename() == "version-2") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<Txn> all_txns(const DataDir& d) {
    std::vector<Txn> txns;
    for (const auto& f : d.logs) {
        const std::string bytes = test::slurp(f.path);
        TxnLogReader r(as_bytes(bytes));
        TxnLogRecord rec;
        while (r.next(rec)) txns.push_back(decode_txn(rec.payload));
    }
    return txns;
}

// Applies the txns after `from` while they follow on without a gap (a learner
// synced by SNAP has a hole in its logs; replay across it would be
// meaningless), checking every digest; returns how many were compared.
std::size_t replay_checking_digests(DataTree& tree, const std::vector<Txn>& txns, std::int64_t from) {
    std::size_t compared = 0;
    std::int64_t prev = from;
    for (const Txn& t : txns) {
        if (t.header.zxid <= from) continue;
        if (!zxid_follows(prev, t.header.zxid)) break;
        prev = t.header.zxid;
        const DigestCheck c = tree.apply_and_check(t);
        if (!c.compared) continue;
        ++compared;
        CAPTURE(t.header.zxid);
        CHECK(c.expected == c.actual);
    }
    return compared;
}

// Calls fn(snapshot file, its bytes, every txn of its data dir) for every
// snapshot of every fixture data dir.
template <class Fn>
void for_each_fixture_snapshot(Fn fn) {
    for (const auto& dir : fixture_data_dirs()) {
        CAPTURE(dir);
        const DataDir d = list_data_dir(dir);
        const std::vector<Txn> txns = all_txns(d);
        for (const auto& snap_file : d.snapshots) {
            CAPTURE(snap_file.path);
            fn(snap_file, test::slurp(snap_file.path), txns);
        }
    }
}

}  // namespace

TEST_CASE("the empty tree's digest is ZooKeeper's: CRC32 of the root plus /zookeeper") {
    DataTree t;
    CHECK(t.digest() == 0x51c6d660);  // TxnDigest of createSession at zxid 1 (TV2 in test_zab_txn_codec.cpp)
    CHECK(t.find("/zookeeper/config") != nullptr);
    CHECK(t.find("/zookeeper/config")->stat.aversion == -1);
}

TEST_CASE("replay from every fixture snapshot matches every digest ZooKeeper logged") {
    std::size_t compared = 0;
    for_each_fixture_snapshot([&](const DataFile& snap_file, const std::string& bytes, const std::vector<Txn>& txns) {
        SnapshotReadResult r;
        const Snapshot snap = load_snapshot(as_bytes(bytes), r);
        REQUIRE(r.ok());
        DataTree tree = DataTree::from_snapshot(snap, snap_file.name.zxid);
        if (tree.load_check().compared) {
            ++compared;
            CHECK(tree.load_check().expected == tree.load_check().actual);
        }
        compared += replay_checking_digests(tree, txns, snap_file.name.zxid);
    });
    CHECK(compared > 500);
}

TEST_CASE("replay from an empty tree over logs that start at zxid 1 matches every logged digest") {
    std::size_t compared = 0;
    for (const auto& dir : fixture_data_dirs()) {
        const DataDir d = list_data_dir(dir);
        if (d.logs.empty() || d.logs.front().name.zxid != 1) continue;
        CAPTURE(dir);
        DataTree tree;
        compared += replay_checking_digests(tree, all_txns(d), 0);
    }
    CHECK(compared > 100);
}

TEST_CASE("replay reproduces every node of every later snapshot, fuzzy window included") {
    // A fuzzy snapshot holds each node as it was at some zxid between the
    // file's name and its digest zxid (the end of the tree walk). Replay from
    // an empty tree must pass through each of those node states.
    const DataDir d = list_data_dir(test::fixtures() / "zk/standalone/data");
    const std::vector<Txn> txns = all_txns(d);
    REQUIRE(d.snapshots.size() >= 3);
    std::size_t checked = 0;
    for (const auto& snap_file : d.snapshots) {
        CAPTURE(snap_file.path);
        SnapshotReadResult r;
        const std::string bytes = test::slurp(snap_file.path);
        const Snapshot snap = load_snapshot(as_bytes(bytes), r);
        REQUIRE(r.ok());
        const std::int64_t name = snap_file.name.zxid;
        const std::int64_t end = snap.trailer.digest ? std::max(name, snap.trailer.digest->zxid) : name;
        std::map<std::string, const SnapshotNode*> unmatched;
        for (const auto& n : snap.nodes) unmatched[n.path] = &n;
        auto match = [&](const DataTree& tree) {
            for (auto it = unmatched.begin(); it != unmatched.end();) {
                const DataNode* mine = tree.find(it->first);
                if (mine != nullptr && mine->stat == it->second->stat && mine->data == it->second->data) {
                    it = unmatched.erase(it);
                } else {
                    ++it;
                }
            }
        };
        DataTree tree;
        std::size_t i = 0;
        for (; i < txns.size() && txns[i].header.zxid <= name; ++i) tree.apply(txns[i]);
        match(tree);
        for (; i < txns.size() && txns[i].header.zxid <= end; ++i) {
            tree.apply(txns[i]);
            match(tree);
        }
        for (const auto& entry : unmatched) CHECK_MESSAGE(false, "no replay state matches node " << entry.first);
        checked += snap.nodes.size();
    }
    CHECK(checked > 200);
}

TEST_CASE("a snapshot with a path twice or a relative path is refused, not half-loaded") {
    const std::string bytes = test::slurp(test::fixtures() / "zk/standalone/data/version-2/snapshot.0");
    SnapshotReadResult r;
    Snapshot snap = load_snapshot(as_bytes(bytes), r);
    REQUIRE(r.ok());
    Snapshot twice = snap;
    twice.nodes.push_back(snap.nodes.back());
    CHECK_THROWS_WITH_AS(DataTree::from_snapshot(twice, 0), doctest::Contains("appears twice"), FormatError);
    Snapshot relative = snap;
    relative.nodes.back().path = "zookeeper/x";
    CHECK_THROWS_WITH_AS(DataTree::from_snapshot(relative, 0), doctest::Contains("does not start with /"),
                         FormatError);
    Snapshot orphan = snap;
    orphan.nodes.back().path = "/no/parent";
    CHECK_THROWS_WITH_AS(DataTree::from_snapshot(orphan, 0), doctest::Contains("unable to find parent /no"),
                         FormatError);
}

TEST_CASE("closing a session deletes its ephemerals and nothing else") {
    DataTree tree;
    auto create = [&](const std::string& path, std::int64_t session, bool eph, std::int64_t zxid) {
        Txn t;
        t.header = {session, 1, zxid, 1000, op::create};
        t.body = CreateTxn{path, std::string("x"), std::nullopt, eph, -1, false};
        return tree.apply(t).err;
    };
    CHECK(create("/a", 5, false, 1) == err::ok);
    CHECK(create("/a/e1", 5, true, 2) == err::ok);
    CHECK(create("/a/e2", 6, true, 3) == err::ok);
    CHECK(create("/a/e1", 5, true, 4) == err::node_exists);
    CHECK(create("/missing/x", 5, false, 5) == err::no_node);
    Txn close;
    close.header = {5, 0, 6, 2000, op::closeSession};
    close.body = CloseSessionTxn{};  // 3.5 style: no paths in the txn
    tree.apply(close);
    CHECK(tree.find("/a/e1") == nullptr);
    CHECK(tree.find("/a/e2") != nullptr);
    CHECK(tree.find("/a")->stat.pzxid == 6);
    // Two creates, plus the NODEEXISTS re-create with parentCVersion -1, which
    // processTxn turns into setCversionPzxid(cversion + 1); the delete does not
    // bump cversion in DataTree.
    CHECK(tree.find("/a")->stat.cversion == 3);
}

TEST_CASE("a tree loaded with only the replay's working set gives every digest a full tree gives") {
    std::size_t compared = 0;
    std::size_t unkept = 0;
    for_each_fixture_snapshot([&](const DataFile& snap_file, const std::string& bytes, const std::vector<Txn>& txns) {
        WorkingSet ws;
        for (const Txn& t : txns) {
            if (t.header.zxid > snap_file.name.zxid) ws.add(t);
        }
        SnapshotReadResult r_full, r_sparse;
        DataTree full = DataTree::load(as_bytes(bytes), snap_file.name.zxid, r_full, {}, false);
        DataTree sparse = DataTree::load(as_bytes(bytes), snap_file.name.zxid, r_sparse, {}, false, &ws);
        REQUIRE(r_sparse.ok());
        CHECK(sparse.digest() == full.digest());
        CHECK(sparse.nodes().size() + sparse.unkept_nodes() == full.nodes().size());
        unkept += sparse.unkept_nodes();
        std::int64_t prev = snap_file.name.zxid;
        for (const Txn& t : txns) {
            if (t.header.zxid <= snap_file.name.zxid) continue;
            if (!zxid_follows(prev, t.header.zxid)) break;
            prev = t.header.zxid;
            CAPTURE(t.header.zxid);
            const DigestCheck a = full.apply_and_check(t);
            const DigestCheck b = sparse.apply_and_check(t);
            REQUIRE(sparse.digest() == full.digest());
            CHECK(a.compared == b.compared);
            compared += b.compared ? 1 : 0;
        }
    });
    CHECK(compared > 500);
    CHECK(unkept > 100);  // the sparse trees did leave nodes out
}

TEST_CASE("a sparse load keeps the parent of an ephemeral whose session the replay closes") {
    // /p is in no txn, but closing session 7 deletes /p/e, which changes /p.
    DataTree source;
    auto apply = [&source](const TxnHeader& h, TxnBody body) {
        Txn t;
        t.header = h;
        t.body = std::move(body);
        REQUIRE(source.apply(t).err == err::ok);
    };
    apply({5, 1, 1, 1000, op::create}, CreateTxn{"/p", std::string("x"), std::nullopt, false, -1, false});
    apply({7, 1, 2, 1000, op::create}, CreateTxn{"/p/e", std::string("y"), std::nullopt, true, -1, false});
    apply({5, 2, 3, 1000, op::create}, CreateTxn{"/q", std::string("z"), std::nullopt, false, -1, false});
    Snapshot snap;
    snap.acls.push_back({1, std::vector<Acl>{{31, "world", "anyone"}}});
    for (const auto& [path, node] : source.nodes()) {
        snap.nodes.push_back({path, Buffer(std::string()), 1, node.stat, 0});
    }
    std::sort(snap.nodes.begin(), snap.nodes.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    const std::string bytes = encode_snapshot(snap, Compression::None);

    Txn close;
    close.header = {7, 0, 4, 2000, op::closeSession};
    close.body = CloseSessionTxn{};
    WorkingSet ws;
    ws.add(close);
    SnapshotReadResult r1, r2;
    DataTree full = DataTree::load(as_bytes(bytes), 3, r1, {}, false);
    DataTree sparse = DataTree::load(as_bytes(bytes), 3, r2, {}, false, &ws);
    REQUIRE(sparse.find("/p") != nullptr);
    CHECK(sparse.find("/q") == nullptr);
    full.apply(close);
    sparse.apply(close);
    CHECK(full.find("/p/e") == nullptr);
    CHECK(sparse.digest() == full.digest());
}
