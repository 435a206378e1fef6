// zabra decodes the real fixtures exactly as ZooKeeper 3.8's own tools do:
// `zabra dump --format zk` must print what TxnLogToolkit -d printed, byte for
// byte, and every node and session SnapshotFormatter -d printed.
#include "helpers.h"
#include "libformat/zab/txn.h"
#include "tools/cmd_dump.h"
#include "tools/common/format_util.h"

#include <fmt/format.h>

#include <doctest/doctest.h>

#include <algorithm>

#include <array>
#include <map>
#include <set>
#include <sstream>

using namespace zabra;
namespace fs = std::filesystem;

namespace {

std::string dump_as(const fs::path& file, tools::DumpFormat format) {
    tools::DumpOptions o;
    o.paths = {file.string()};
    o.format = format;
    std::ostringstream out, err;
    const tools::Outcome outcome = tools::run_dump(o, out, err);
    CHECK(outcome != tools::Outcome::BadInput);
    CHECK(outcome != tools::Outcome::Usage);
    return out.str();
}

std::string dump_zk(const fs::path& file) { return dump_as(file, tools::DumpFormat::Zk); }

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

namespace {

std::string json_field(const std::string& line, const std::string& name) {
    const std::string key = "\"" + name + "\":";
    const auto at = line.find(key);
    if (at == std::string::npos) return {};
    std::size_t i = at + key.size();
    if (line[i] == '"') {
        const auto end = line.find('"', i + 1);
        return line.substr(i + 1, end - i - 1);
    }
    const auto end = line.find_first_of(",}", i);
    return line.substr(i, end - i);
}

std::string dump_json(const fs::path& file) { return dump_as(file, tools::DumpFormat::Json); }

}  // namespace

TEST_CASE("dump --format json agrees with TxnLogToolkit on the session, cxid, zxid and type of every txn") {
    std::size_t txns = 0;
    for (const auto& log : test::fixture_logs()) {
        CAPTURE(log);
        // TxnLogToolkit: "<date> session 0x.. cxid 0x.. zxid 0x.. <op> <body>"
        std::vector<std::array<std::string, 4>> theirs;
        std::istringstream tk(test::slurp(test::expected_for(log, ".txnlogtoolkit.txt")));
        for (std::string line; std::getline(tk, line);) {
            const auto s = line.find(" session 0x");
            if (s == std::string::npos) continue;
            std::istringstream f(line.substr(s + 1));
            std::string w1, session, w2, cxid, w3, zxid, op;
            f >> w1 >> session >> w2 >> cxid >> w3 >> zxid >> op;
            theirs.push_back({session, cxid, zxid, op});
        }
        std::vector<std::array<std::string, 4>> ours;
        std::istringstream js(dump_json(log));
        for (std::string line; std::getline(js, line);) {
            if (!line.starts_with("{\"record\":\"txn\"")) continue;
            const std::string cxid = fmt::format("0x{:x}", static_cast<std::uint64_t>(static_cast<std::int64_t>(
                                                                std::stoi(json_field(line, "cxid")))));
            const auto type = zab::parse_op(json_field(line, "type"));
            REQUIRE(type);
            ours.push_back({json_field(line, "session"), cxid, json_field(line, "zxid"), zab::op_name(*type)});
        }
        if (exit_code_of(test::expected_for(log, ".txnlogtoolkit.rc")) != 0) ours.resize(theirs.size());  // it died
        CHECK(ours == theirs);
        txns += theirs.size();
    }
    CHECK(txns > 400);
}

TEST_CASE("dump --format json agrees with SnapshotFormatter -d on every field of every node") {
    std::size_t nodes = 0;
    for (const auto& snap : test::fixture_snapshots()) {
        CAPTURE(snap);
        // SnapshotFormatter -d: "----", path, then "  name = value" lines.
        std::map<std::string, std::map<std::string, std::string>> theirs;
        std::istringstream sf(test::slurp(test::expected_for(snap, ".snapshotformatter.txt")));
        std::string path;
        for (std::string line; std::getline(sf, line);) {
            if (line.starts_with("Session Details")) break;
            if (line == "----" || line.starts_with("ZNode Details")) continue;
            if (!line.starts_with("  ")) {
                path = line;
                continue;
            }
            const auto eq = line.find(" = ");
            theirs[path][line.substr(2, eq - 2)] = line.substr(eq + 3);
        }
        std::istringstream js(dump_json(snap));
        std::size_t seen = 0;
        for (std::string line; std::getline(js, line);) {
            if (!line.starts_with("{\"record\":\"node\"")) continue;
            const std::string p = json_field(line, "path");
            CAPTURE(p);
            REQUIRE(theirs.count(p));
            const auto& t = theirs.at(p);
            auto hex16 = [](const std::string& h) {  // "0x1a" -> "%#016x" as Java prints it
                return fmt::format("{:#016x}", std::stoull(h.substr(2), nullptr, 16));
            };
            CHECK(hex16(json_field(line, "czxid")) == t.at("cZxid"));
            CHECK(hex16(json_field(line, "mzxid")) == t.at("mZxid"));
            CHECK(hex16(json_field(line, "pzxid")) == t.at("pZxid"));
            CHECK(hex16(json_field(line, "ephemeral_owner")) == t.at("ephemeralOwner"));
            CHECK(json_field(line, "version") == t.at("dataVersion"));
            CHECK(json_field(line, "cversion") == t.at("cversion"));
            CHECK(json_field(line, "aversion") == t.at("aclVersion"));
            // Data: SnapshotFormatter -d prints base64; ours is text or base64.
            std::string b64 = json_field(line, "data_base64");
            if (b64.empty() && line.find("\"data\":\"") != std::string::npos) {
                std::string text;
                const auto at = line.find("\"data\":\"") + 8;
                for (std::size_t i = at; line[i] != '"'; ++i) {
                    if (line[i] == '\\') {
                        ++i;
                        text += line[i] == 'n' ? '\n' : line[i] == 't' ? '\t' : line[i];
                    } else {
                        text += line[i];
                    }
                }
                b64 = tools::base64(text);
            }
            CHECK(b64 == t.at("data"));
            ++seen;
        }
        CHECK(seen == theirs.size());
        nodes += seen;
    }
    CHECK(nodes > 300);
}
