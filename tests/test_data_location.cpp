// Data found by what it holds: renamed member dirs, bare wal/ and snap/,
// renamed files; and no answer at all from a path that holds no data.
#include "helpers.h"

#include "libformat/locate/data_location.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace zabra;
using namespace zabra::test;
using locate::DataSystem;
using locate::locate_data;
using locate::NotDataError;

namespace {

std::string without(std::string text, const std::string& prefix) {
    for (std::size_t at; (at = text.find(prefix)) != std::string::npos;) text.erase(at, prefix.size());
    return text;
}

// e1 as etcd lays it out (e1/member/{wal,snap}), and the same member as
// operators copy it: member/ renamed, only wal/ and snap/, a renamed wal dir.
struct EtcdLayouts {
    TempDir tmp;
    fs::path data, renamed_member, bare, wal_only;
    explicit EtcdLayouts(const std::string& member) {
        data = restore_etcd_member(member, tmp.path() / "orig");
        renamed_member = tmp.path() / "copies" / ("etcd-" + member);
        copy_tree(data / "member", renamed_member, Holes::Sparse);
        bare = tmp.path() / "bare" / member;
        copy_tree(data / "member" / "wal", bare / "wal", Holes::Sparse);
        copy_tree(data / "member" / "snap", bare / "snap", Holes::Sparse);
        wal_only = tmp.path() / ("wal-of-" + member);
        copy_tree(data / "member" / "wal", wal_only, Holes::Sparse);
    }
};

}  // namespace

TEST_CASE("etcd data is found by content at data, member, wal and snap level, under any name") {
    EtcdLayouts l("e1");
    const locate::DataLocation data = locate_data(l.data);
    CHECK(data.system == DataSystem::Etcd);
    CHECK(data.etcd_level == etcd::EtcdDirLevel::Data);
    CHECK(locate_data(l.renamed_member).etcd_level == etcd::EtcdDirLevel::Member);
    CHECK(locate_data(l.bare).etcd_level == etcd::EtcdDirLevel::Member);
    CHECK(locate_data(l.wal_only).etcd_level == etcd::EtcdDirLevel::Wal);
    const fs::path snaps = l.tmp.path() / "snapshots-kept";
    copy_tree(l.data / "member" / "snap", snaps, Holes::Sparse);
    CHECK(locate_data(snaps).etcd_level == etcd::EtcdDirLevel::Snap);
    // Every layout lists the same segments and .snap files.
    const etcd::MemberDir orig = etcd::list_member_dir(l.data);
    REQUIRE(!orig.segments.empty());
    for (const fs::path& p : {l.renamed_member, l.bare}) {
        const etcd::MemberDir m = etcd::list_member_dir(p);
        CHECK(m.segments.size() == orig.segments.size());
        CHECK(m.snaps.size() == orig.snaps.size());
    }
    CHECK(etcd::list_member_dir(snaps).snaps.size() == orig.snaps.size());
    CHECK(etcd::list_member_dir(snaps).segments.empty());
    // A segment file under another name is still a WAL, by its first bytes.
    const fs::path renamed = l.tmp.path() / "segment-copy";
    fs::copy_file(orig.segments.front().path, renamed);
    CHECK(locate_data(renamed).system == DataSystem::Etcd);
}

TEST_CASE("ZooKeeper data is found in a data dir, a bare version-2, a renamed copy and renamed files") {
    TempDir tmp;
    const fs::path data = fixtures() / "zk" / "standalone" / "data";
    CHECK(locate_data(data).system == DataSystem::ZooKeeper);
    CHECK(locate_data(data / "version-2").is_dir);
    const fs::path copy = tmp.path() / "zk-logs-from-friday";
    copy_tree(data / "version-2", copy, Holes::Sparse);
    CHECK(locate_data(copy).system == DataSystem::ZooKeeper);
    CHECK(locate_data(copy.string() + "/").system == DataSystem::ZooKeeper);
    const fs::path log = copy / "log.1";
    REQUIRE(fs::exists(log));
    fs::copy_file(log, tmp.path() / "first-log.bin");
    CHECK(locate_data(tmp.path() / "first-log.bin").zookeeper_file == zab::FileKind::TxnLog);
    for (const auto& e : fs::directory_iterator(copy)) {
        if (e.path().filename().string().starts_with("snapshot.")) {
            fs::copy_file(e.path(), tmp.path() / "a-snapshot");
            break;
        }
    }
    CHECK(locate_data(tmp.path() / "a-snapshot").zookeeper_file == zab::FileKind::Snapshot);
}

TEST_CASE("a path with no data of either system is refused, naming the subdirectories that hold some") {
    TempDir tmp;
    const fs::path empty = tmp.path() / "empty";
    fs::create_directories(empty);
    CHECK_THROWS_AS(locate_data(empty), NotDataError);
    // A random file, a gzip file that is no snapshot, a file of zeros.
    spit(tmp.path() / "notes.txt", "not data\n");
    CHECK_THROWS_AS(locate_data(tmp.path() / "notes.txt"), NotDataError);
    spit(tmp.path() / "archive.gz", unhex("1f8b 0800 0000 0000 0003 0300 0000 0000 0000 0000"));
    CHECK_THROWS_AS(locate_data(tmp.path() / "archive.gz"), NotDataError);
    spit(tmp.path() / "zeros", std::string(4096, '\0'));
    CHECK_THROWS_AS(locate_data(tmp.path() / "zeros"), NotDataError);
    // A dir above the data: the message names where the data is.
    const fs::path srv = tmp.path() / "srv";
    copy_tree(fixtures() / "zk" / "standalone" / "data", srv / "zookeeper" / "data", Holes::Sparse);
    restore_etcd_member("e2", srv / "etcd");
    try {
        locate_data(srv);
        FAIL("no error");
    } catch (const NotDataError& e) {
        const std::string m = e.what();
        CHECK(m.find("no ZooKeeper or etcd data here") != std::string::npos);
        CHECK(m.find((srv / "zookeeper" / "data").string() + " holds ZooKeeper data") != std::string::npos);
        CHECK(m.find((srv / "etcd" / "e2").string() + " holds an etcd data dir") != std::string::npos);
    }
    CHECK_THROWS_AS(locate_data(tmp.path() / "missing"), std::runtime_error);
    try {
        locate_data(tmp.path() / "missing");
    } catch (const NotDataError&) {
        FAIL("a missing path is unreadable, not a usage error");
    } catch (const std::runtime_error&) {
    }
}

TEST_CASE("renamed etcd member dirs give the same dump, verify, stats, plan and rollback as the original layout") {
    EtcdLayouts leader("e1");
    EtcdLayouts follower("e3");
    const std::vector<std::vector<std::string>> runs = {
        {"dump", "--format", "json", "@F"},
        {"verify", "--json", "@F"},
        {"stats", "@F"},
        {"plan", "--leader", "@L", "--learner", "@F"},
        {"plan", "--leader", "@L", "--learner", "@F", "--json"},
        {"rollback", "@F", "--to", "100"},
    };
    auto layouts = [](const EtcdLayouts& l) { return std::vector<fs::path>{l.data, l.renamed_member, l.bare}; };
    for (const auto& args : runs) {
        CAPTURE(args[0]);
        std::optional<CommandResult> first;
        for (std::size_t i = 0; i < 3; ++i) {
            const fs::path f = layouts(follower)[i];
            const fs::path l = layouts(leader)[i];
            std::vector<std::string> a{ZABRA_BINARY};
            for (const auto& x : args) a.push_back(x == "@F" ? f.string() : x == "@L" ? l.string() : x);
            CommandResult r = run_command(a);
            // Paths are shown as given: what follows the member dir is the same.
            for (const fs::path& given : {f / "member", f, l / "member", l}) r.out = without(r.out, given.string());
            CAPTURE(f);
            CHECK(r.status != 2);
            CHECK(r.status != 3);
            CHECK(r.status != 8);
            CHECK(!r.out.empty());
            if (!first) {
                first = r;
            } else {
                CHECK(r.status == first->status);
                CHECK(r.out == first->out);
            }
        }
    }
}

TEST_CASE("plan refuses dirs with no data and a ZooKeeper dir against an etcd dir, with no kind") {
    TempDir tmp;
    const fs::path empty_a = tmp.path() / "a", empty_b = tmp.path() / "b";
    fs::create_directories(empty_a);
    fs::create_directories(empty_b);
    const fs::path zk = fixtures() / "zk" / "standalone" / "data";
    const fs::path etcd = restore_etcd_member("e1", tmp.path());
    const fs::path empty_v2 = tmp.path() / "fresh" / "version-2";
    fs::create_directories(empty_v2);
    const std::vector<std::vector<std::string>> refused = {
        {"--leader", empty_a.string(), "--learner", empty_b.string()},
        {"--leader", zk.string(), "--learner", empty_b.string()},
        {"--leader", zk.string(), "--learner", etcd.string()},
        {"--leader", etcd.string(), "--learner", zk.string()},
        {"--leader", etcd.string(), "--learner", empty_a.string()},
        {"--leader", empty_v2.parent_path().string(), "--peer-zxid", "0x100000001"},
        {"--leader", zk.string(), "--learner", empty_v2.parent_path().string()},
        {"--leader", zk.string(), "--learner", (zk / "version-2" / "log.1").string()},
    };
    for (const auto& args : refused) {
        std::vector<std::string> a{ZABRA_BINARY, "plan"};
        a.insert(a.end(), args.begin(), args.end());
        CAPTURE(a);
        const CommandResult text = run_command(a);
        CHECK((text.status == 2 || text.status == 3));
        CHECK(text.out.find("plan:") == std::string::npos);
        a.push_back("--json");
        const CommandResult json = run_command(a);
        CHECK((json.status == 2 || json.status == 3));
        CHECK(json.out.find("\"kind\"") == std::string::npos);
    }
    // The usage message says what is wrong.
    const std::string cmd = std::string(ZABRA_BINARY) + " plan --leader " + zk.string() + " --learner " + etcd.string() +
                            " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[512];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ::pclose(p);
    CHECK(out.find("is a ZooKeeper data dir") != std::string::npos);
    CHECK(out.find("is an etcd data dir") != std::string::npos);
}

TEST_CASE("every command refuses a path with no data as a usage error") {
    TempDir tmp;
    spit(tmp.path() / "notes.txt", "not data\n");
    for (const std::string& path : {tmp.path().string(), (tmp.path() / "notes.txt").string()}) {
        for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
                 {"dump", path}, {"verify", path}, {"stats", path}, {"rollback", path, "--to", "0x100000001"},
                 {"repair", path}, {"diff", path, "1", "2"}}) {
            std::vector<std::string> a{ZABRA_BINARY};
            a.insert(a.end(), args.begin(), args.end());
            CAPTURE(a);
            const CommandResult r = run_command(a);
            CHECK(r.status == 2);
            CHECK(r.out.empty());
        }
    }
}
