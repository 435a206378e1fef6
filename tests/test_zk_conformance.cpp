// zabra decodes the real fixtures exactly as ZooKeeper 3.8's own tools do:
// `zabra dump --format zk` must print what TxnLogToolkit -d printed, byte for
// byte, and every node and session SnapshotFormatter -d printed.
#include "helpers.h"
#include "tools/cmd_dump.h"

#include <doctest/doctest.h>

#include <algorithm>

#include <map>
#include <set>
#include <sstream>

using namespace zabra;
namespace fs = std::filesystem;

namespace {

std::string dump_zk(const fs::path& file) {
    tools::DumpOptions o;
    o.paths = {file.string()};
    o.format = tools::DumpFormat::Zk;
    std::ostringstream out, err;
    tools::run_dump(o, out, err);
    return out.str();
}

int exit_code_of(const fs::path& rc_file) { return std::stoi(test::slurp(rc_file)); }

// SnapshotFormatter -d output, keyed so that Java's HashMap order does not matter.
struct FormattedSnapshot {
    std::string count_line;
    std::map<std::string, std::string> nodes;  // path -> its indented lines
    std::multiset<std::string> sessions;
    std::string last_zxid_line;
};

FormattedSnapshot parse_formatter(const std::string& text) {
    FormattedSnapshot f;
    std::istringstream in(text);
    std::string line, path;
    enum { Nodes, Sessions, Done } state = Nodes;
    while (std::getline(in, line)) {
        if (line.starts_with("ZNode Details")) {
            f.count_line = line;
        } else if (line.starts_with("Session Details")) {
            state = Sessions;
        } else if (line.starts_with("Last zxid")) {
            f.last_zxid_line = line;
            state = Done;
        } else if (line == "----") {
            path.clear();
        } else if (state == Sessions) {
            f.sessions.insert(line);
        } else if (state == Nodes && !line.starts_with("  ")) {
            path = line;
            f.nodes[path];
        } else if (state == Nodes) {
            f.nodes[path] += line + "\n";
        }
    }
    return f;
}

}  // namespace

TEST_CASE("zabra dump --format zk prints exactly what ZooKeeper's TxnLogToolkit -d prints, for every fixture log") {
    const auto logs = test::fixture_logs();
    REQUIRE(logs.size() >= 10);
    std::size_t lines = 0;
    for (const auto& log : logs) {
        CAPTURE(log);
        const std::string expected = test::slurp(test::expected_for(log, ".txnlogtoolkit.txt"));
        const std::string ours = dump_zk(log);
        if (exit_code_of(test::expected_for(log, ".txnlogtoolkit.rc")) == 0) {
            CHECK(ours == expected);
        } else {
            // TxnLogToolkit died part way (a top-level check txn it cannot
            // parse): everything it printed before that must match.
            CHECK(ours.substr(0, expected.size()) == expected);
            CHECK(ours.size() > expected.size());
        }
        lines += static_cast<std::size_t>(std::count(expected.begin(), expected.end(), '\n'));
    }
    CHECK(lines > 400);
}

TEST_CASE("every node and session SnapshotFormatter -d prints is decoded identically, for every fixture snapshot") {
    const auto snaps = test::fixture_snapshots();
    REQUIRE(snaps.size() >= 8);
    std::size_t nodes = 0;
    for (const auto& snap : snaps) {
        CAPTURE(snap);
        REQUIRE(exit_code_of(test::expected_for(snap, ".snapshotformatter.rc")) == 0);
        const FormattedSnapshot theirs = parse_formatter(test::slurp(test::expected_for(snap, ".snapshotformatter.txt")));
        const FormattedSnapshot ours = parse_formatter(dump_zk(snap));
        CHECK(ours.count_line == theirs.count_line);
        CHECK(ours.nodes.size() == theirs.nodes.size());
        for (const auto& node : theirs.nodes) {  // no structured binding: clang 14 cannot capture one
            const auto& path = node.first;
            const auto& fields = node.second;
            CAPTURE(path);
            auto it = ours.nodes.find(path);
            REQUIRE(it != ours.nodes.end());
            CHECK(it->second == fields);
            ++nodes;
        }
        CHECK(ours.sessions == theirs.sessions);
        CHECK(ours.last_zxid_line == theirs.last_zxid_line);
    }
    CHECK(nodes > 100);
}
