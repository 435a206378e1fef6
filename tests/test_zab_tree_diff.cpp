// zabra diff: tree comparison, and rebuilding a data dir's tree at a zxid.
#include "helpers.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/tree_diff.h"
#include "tools/cmd_diff.h"

#include <doctest/doctest.h>

#include <sstream>

using namespace zabra;
using namespace zabra::zab;
namespace fs = std::filesystem;

namespace {

TreeView snapshot_view(const fs::path& p) {
    const std::string b = test::slurp(p);
    SnapshotReadResult r;
    return view_of(load_snapshot(as_bytes(b), r));
}

}  // namespace

TEST_CASE("replaying from an older snapshot to a newer non-fuzzy snapshot's zxid gives exactly that snapshot") {
    test::TempDir tmp;
    fs::copy(test::fixtures() / "zk/standalone/data", tmp.path() / "data", fs::copy_options::recursive);
    const fs::path v2 = tmp.path() / "data/version-2";
    const TreeView expected = snapshot_view(v2 / "snapshot.cc.snappy");  // digest zxid 0xcc = name: not fuzzy
    fs::remove(v2 / "snapshot.cc.snappy");
    fs::remove(v2 / "snapshot.ba.gz");  // so the replay starts at snapshot.a9
    const TreeView rebuilt = view_of(tree_at({tmp.path() / "data"}, 0xcc));
    const auto changes = diff_trees(expected, rebuilt);
    for (const auto& c : changes) CAPTURE(c.path);
    CHECK(changes.empty());
    CHECK(rebuilt.size() == expected.size());
}

TEST_CASE("diff between two zxids names each added, removed and changed node with its fields") {
    const TreeView a = view_of(tree_at({test::fixtures() / "zk/standalone/data"}, 0x40));
    const TreeView b = view_of(tree_at({test::fixtures() / "zk/standalone/data"}, 0x44));
    const auto changes = diff_trees(a, b);
    REQUIRE(changes.size() == 3);
    CHECK(changes[0].kind == NodeChange::Kind::Changed);
    CHECK(changes[0].path == "/app/items");
    CHECK(changes[0].fields == std::vector<std::string>{"pzxid", "cversion"});
    CHECK(changes[1].kind == NodeChange::Kind::Removed);
    CHECK(changes[1].path == "/app/items/item-0002");
    CHECK(changes[2].kind == NodeChange::Kind::Added);
    CHECK(changes[2].path == "/app/items/item-0003");
    CHECK(*changes[2].after->data == "v1-3");
}

TEST_CASE("a snapshot compared with itself has no differences") {
    const fs::path p = test::fixtures() / "zk/ensemble/server2/data/version-2/snapshot.30000003c";
    CHECK(diff_trees(snapshot_view(p), snapshot_view(p)).empty());
    tools::DiffOptions o;
    o.args = {p.string(), p.string()};
    std::ostringstream out, err;
    CHECK(tools::run_diff(o, out, err) == tools::DiffOutcome::Same);
    CHECK(out.str().find("0 added, 0 removed, 0 changed") != std::string::npos);
}

TEST_CASE("a tree that cannot be rebuilt is an error that says why") {
    CHECK_THROWS_WITH_AS(tree_at({test::fixtures() / "zk/standalone/data"}, 0x5000), doctest::Contains("logs end at"),
                         std::runtime_error);
    // server1 was synced by snapshot: 0x300000020 lies in the hole of its logs,
    // and the snapshot before it is older than the hole.
    CHECK_THROWS_WITH_AS(tree_at({test::fixtures() / "zk/ensemble/server1/data"}, 0x300000020),
                         doctest::Contains("jump"), std::runtime_error);
}
