// zabra stats' aggregates, checked against counts taken another way.
#include "helpers.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/stats.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "tools/cmd_stats.h"

#include <doctest/doctest.h>

#include <numeric>
#include <sstream>

using namespace zabra;
using namespace zabra::zab;

TEST_CASE("path_prefix keeps the first components") {
    CHECK(path_prefix("/a/b/c", 0) == "/");
    CHECK(path_prefix("/a/b/c", 1) == "/a");
    CHECK(path_prefix("/a/b/c", 2) == "/a/b");
    CHECK(path_prefix("/a/b/c", 5) == "/a/b/c");
    CHECK(path_prefix("", 3) == "/");
    CHECK(path_prefix("/", 1) == "/");
}

TEST_CASE("log stats add up: every table sums to the txn count the reader sees") {
    const DataDir d = list_data_dir(test::fixtures() / "zk/standalone/data");
    LogStats s;
    std::uint64_t records = 0, bytes = 0;
    for (const auto& f : d.logs) {
        const std::string b = test::slurp(f.path);
        TxnLogReader r(as_bytes(b));
        TxnLogRecord rec;
        while (r.next(rec)) {
            s.add(decode_txn(rec.payload), rec.payload.size());
            ++records;
            bytes += rec.payload.size();
        }
    }
    auto sum = [](const auto& m) {
        return std::accumulate(m.begin(), m.end(), std::uint64_t{0},
                               [](std::uint64_t a, const auto& kv) { return a + kv.second.count; });
    };
    CHECK(s.total.count == records);
    CHECK(s.total.bytes == bytes);
    CHECK(sum(s.by_type) == records);
    CHECK(sum(s.by_session) == records);
    CHECK(sum(s.by_epoch) == records);
    CHECK(s.by_type.at(op::create).count == 73);  // as counted in TxnLogToolkit's output
    CHECK(s.by_type.at(op::multi).count == 6);
    std::uint64_t per_second = 0;
    for (const auto& [sec, n] : s.per_second) per_second += n;
    CHECK(per_second == records);
    CHECK(*s.first_zxid == 1);
}

TEST_CASE("snapshot subtree stats: the root subtree holds every node, children add up under their parent") {
    const auto path = test::fixtures() / "zk/standalone/data/version-2/snapshot.a9";
    const std::string b = test::slurp(path);
    SnapshotReadResult r;
    const Snapshot snap = load_snapshot(as_bytes(b), r);
    SnapshotStats s;
    s.depth = 2;
    std::uint64_t data = 0;
    for (const auto& n : snap.nodes) {
        s.add(n);
        data += n.data ? n.data->size() : 0;
    }
    CHECK(s.nodes == snap.nodes.size());
    CHECK(s.subtrees.at("/").nodes == snap.nodes.size());
    CHECK(s.subtrees.at("/").data_bytes == data);
    std::uint64_t app_children = 0;
    for (const auto& [p, t] : s.subtrees) {
        if (p.starts_with("/app/") && p.find('/', 5) == std::string::npos) app_children += t.nodes;
    }
    CHECK(s.subtrees.at("/app").nodes == app_children + 1);
    CHECK(s.subtrees.at("/zookeeper").nodes == 3);  // /zookeeper, /zookeeper/quota, /zookeeper/config
}

TEST_CASE("stats --json writes one parseable summary per source") {
    tools::StatsOptions o;
    o.paths = {(test::fixtures() / "zk/ensemble/server1/data").string()};
    o.json = true;
    std::ostringstream out, err;
    CHECK(tools::run_stats(o, out, err) == tools::Outcome::Ok);
    std::istringstream in(out.str());
    std::string logs, snap;
    std::getline(in, logs);
    std::getline(in, snap);
    CHECK(logs.starts_with("{\"record\":\"logs\""));
    CHECK(logs.find("\"by_epoch\":[") != std::string::npos);
    CHECK(snap.starts_with("{\"record\":\"snapshot\""));
}
