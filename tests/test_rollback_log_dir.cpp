// zabra rollback and repair with ZooKeeper's txn logs in a separate
// dataLogDir: real fixture data split as ZooKeeper writes it (logs in the log
// dir, snapshots and epoch files in the data dir) must end as the one-dir run
// ends, file by file, through crashes at every mutation point and undo.
#include "helpers.h"
#include "libformat/common/file_plan.h"
#include "libformat/common/safe_fs.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/rollback.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/zoo_cfg.h"
#include "node/config.h"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include <signal.h>
#include <unistd.h>

using namespace zabra;
namespace fs = std::filesystem;

namespace {

// The standalone fixture twice: `one` as it is, and split into `data` and `log`.
struct Split {
    fs::path one, data, log;
};

Split split_fixture(const fs::path& into) {
    const fs::path src = test::fixtures() / "zk" / "standalone" / "data";
    Split s{into / "one" / "data", into / "data", into / "txnlog"};
    fs::create_directories(s.one.parent_path());
    fs::copy(src, s.one, fs::copy_options::recursive);
    fs::create_directories(s.data / "version-2");
    fs::create_directories(s.log / "version-2");
    for (const auto& e : fs::directory_iterator(src / "version-2")) {
        const bool is_log = e.path().filename().string().starts_with("log.");
        fs::copy_file(e.path(), (is_log ? s.log : s.data) / "version-2" / e.path().filename());
    }
    return s;
}

// name -> SHA-1 of every file in dir/version-2
std::map<std::string, std::string> contents(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(dir / "version-2")) out[e.path().filename().string()] = file_sha1(e.path());
    return out;
}

std::map<std::string, std::string> both(const Split& s) {
    auto out = contents(s.data);
    for (const auto& [name, sha] : contents(s.log)) CHECK_MESSAGE(out.emplace(name, sha).second, name);
    return out;
}

std::vector<fs::path> backups_in(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename().string().starts_with("zabra-backup-")) out.push_back(e.path());
    }
    return out;
}

test::CommandResult run_zabra(std::vector<std::string> args, int crash_at = 0) {
    std::vector<std::string> argv;
    if (crash_at) argv = {"env", fmt::format("ZABRA_CRASH_AT={}", crash_at)};
    argv.push_back(ZABRA_BINARY);
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_command(argv);
}

std::vector<std::string> rollback_split(const Split& s) {
    return {"rollback", s.data.string(), "--log-dir", s.log.string(), "--to", "0x50", "--yes"};
}

// What the one-dir rollback to 0x50 leaves in version-2.
std::map<std::string, std::string> one_dir_result(const Split& s) {
    const test::CommandResult r = run_zabra({"rollback", s.one.string(), "--to", "0x50", "--yes"});
    INFO(r.out);
    REQUIRE(r.status == 1);
    return contents(s.one);
}

}  // namespace

TEST_CASE("rollback --log-dir: the same files as the one-dir rollback, one backup in the data dir, and undo restores both dirs") {
    test::TempDir tmp;
    const Split s = split_fixture(tmp.path());
    const auto expected = one_dir_result(s);
    const auto data_before = contents(s.data), log_before = contents(s.log);

    const test::CommandResult dry = run_zabra({"rollback", s.data.string(), "--log-dir", s.log.string(), "--to", "0x50"});
    CHECK(dry.status == 4);
    CHECK(contents(s.data) == data_before);
    CHECK(contents(s.log) == log_before);

    const test::CommandResult done = run_zabra(rollback_split(s));
    INFO(done.out);
    REQUIRE(done.status == 1);
    CHECK(both(s) == expected);
    for (const auto& [name, sha] : contents(s.log)) CHECK(name.starts_with("log."));
    for (const auto& [name, sha] : contents(s.data)) CHECK(name.starts_with("snapshot."));
    CHECK(backups_in(s.log).empty());
    const auto backups = backups_in(s.data);
    REQUIRE(backups.size() == 1);
    // One journal for both dirs: it names files of each.
    const JournalState st = read_journal_state(backups.front());
    auto touches = [&](const fs::path& dir) {
        return std::any_of(st.files.begin(), st.files.end(), [&](const fs::path& f) {
            return fs::weakly_canonical(f.parent_path()) == fs::weakly_canonical(dir / "version-2");
        });
    };
    CHECK(touches(s.log));
    CHECK(touches(s.data));

    CHECK(run_zabra(rollback_split(s)).status == 0);
    CHECK(run_zabra({"rollback", "--undo", backups.front().string(), "--yes"}).status == 1);
    CHECK(contents(s.data) == data_before);
    CHECK(contents(s.log) == log_before);
}

TEST_CASE("rollback --log-dir: a crash at every mutation point, then a re-run, ends as one run does") {
    test::TempDir ref_dir;
    const Split ref = split_fixture(ref_dir.path());
    const auto original = both(ref);
    const auto expected = one_dir_result(ref);
    int points = 0;
    for (int n = 1; n < 500; ++n) {
        test::TempDir tmp;
        const Split s = split_fixture(tmp.path());
        const test::CommandResult crashed = run_zabra(rollback_split(s), n);
        if (crashed.status == 1) break;  // ran to the end: every point was tried
        INFO("crash at mutation point ", n);
        REQUIRE(crashed.status == 137);  // SIGKILL
        ++points;
        // No byte lost: each original file is in its dir or, whole, in a backup dir.
        for (const auto& [name, sha] : original) {
            bool found = false;
            for (const fs::path& dir : {s.data / "version-2", s.log / "version-2"}) {
                found = found || (fs::exists(dir / name) && file_sha1(dir / name) == sha);
            }
            for (const fs::path& b : backups_in(s.data)) {
                found = found || (fs::exists(b / name) && file_sha1(b / name) == sha);
            }
            CHECK_MESSAGE(found, name);
        }
        const test::CommandResult rerun = run_zabra(rollback_split(s));
        INFO(rerun.out);
        CHECK(rerun.status <= 1);
        CHECK(both(s) == expected);
        CHECK(run_zabra(rollback_split(s)).status == 0);
    }
    MESSAGE("two-dir mutation points tested: ", points);
    CHECK(points > 20);
}

TEST_CASE("rollback --undo of a two-dir rollback: a crash at every point of the undo, then a re-run, restores both dirs") {
    test::TempDir ref_dir;
    const Split ref = split_fixture(ref_dir.path());
    const auto data_before = contents(ref.data), log_before = contents(ref.log);
    int points = 0;
    for (int n = 1; n < 500; ++n) {
        test::TempDir tmp;
        const Split s = split_fixture(tmp.path());
        REQUIRE(run_zabra(rollback_split(s)).status == 1);
        const auto backups = backups_in(s.data);
        REQUIRE(backups.size() == 1);
        const test::CommandResult crashed = run_zabra({"rollback", "--undo", backups.front().string(), "--yes"}, n);
        if (crashed.status == 1) break;
        INFO("crash at mutation point ", n);
        REQUIRE(crashed.status == 137);
        ++points;
        CHECK(run_zabra({"rollback", "--undo", backups.front().string(), "--yes"}).status <= 1);
        CHECK(contents(s.data) == data_before);
        CHECK(contents(s.log) == log_before);
    }
    MESSAGE("two-dir undo mutation points tested: ", points);
    CHECK(points > 10);
}

TEST_CASE("rollback and repair refuse when a live process has a file open in the log dir, and undo too") {
    test::TempDir tmp;
    const Split s = split_fixture(tmp.path());
    const auto before = both(s);
    const fs::path cfg = tmp.path() / "zoo.cfg";
    test::spit(cfg, fmt::format("dataDir={}\ndataLogDir={}\n", s.data.string(), s.log.string()));
    const fs::path log = zab::list_data_dir(s.log).logs.back().path;
    test::BackgroundCommand server(fmt::format("bash -c \"exec 3<'{}'; sleep 30\"", log.string()));
    int status = -1;
    const std::vector<std::string> dry_run{"rollback", s.data.string(), "--log-dir", s.log.string(), "--to", "0x50"};
    for (int i = 0; i < 50 && (status = run_zabra(dry_run).status) != 32; ++i) ::usleep(100000);
    CHECK(status == 32);
    CHECK(run_zabra(rollback_split(s)).status == 32);
    CHECK(run_zabra({"rollback", "--config", cfg.string(), "--to", "0x50", "--yes"}).status == 32);
    CHECK(run_zabra({"repair", s.data.string(), "--log-dir", s.log.string(), "--yes"}).status == 32);
    CHECK(both(s) == before);
    // The data dir alone is not what the server holds open.
    CHECK(run_zabra({"repair", s.data.string()}).status == 0);
    server.stop();

    REQUIRE(run_zabra(rollback_split(s)).status == 1);
    const auto backups = backups_in(s.data);
    REQUIRE(backups.size() == 1);
    test::BackgroundCommand server2(fmt::format("bash -c \"exec 3<'{}'; sleep 30\"", (s.log / "version-2").string()));
    // Wait with the dry run until the holder is seen: a real undo tried
    // before it has opened the dir would go through (CI once saw that).
    status = -1;
    const std::vector<std::string> undo_dry_run{"rollback", "--undo", backups.front().string()};
    for (int i = 0; i < 50 && (status = run_zabra(undo_dry_run).status) != 32; ++i) ::usleep(100000);
    CHECK(status == 32);
    CHECK(run_zabra({"rollback", "--undo", backups.front().string(), "--yes"}).status == 32);
    server2.stop();
    CHECK(run_zabra({"rollback", "--undo", backups.front().string(), "--yes"}).status == 1);
    CHECK(both(s) == before);
}

TEST_CASE("repair --log-dir cuts a torn tail in the log dir") {
    test::TempDir tmp;
    const Split s = split_fixture(tmp.path());
    const fs::path newest = zab::list_data_dir(s.log).logs.back().path;
    const std::string original = test::slurp(newest);
    zab::TxnLogRecord rec, last;
    zab::TxnLogReader r(as_bytes(original));
    while (r.next(rec)) last = rec;
    std::string torn = original;
    std::fill(torn.begin() + static_cast<std::ptrdiff_t>(last.offset + 20), torn.end(), '\0');
    test::spit(newest, torn);
    const auto snapshots = contents(s.data);

    CHECK(run_zabra({"repair", s.data.string(), "--log-dir", s.log.string()}).status == 4);
    const test::CommandResult done = run_zabra({"repair", s.data.string(), "--log-dir", s.log.string(), "--yes"});
    INFO(done.out);
    CHECK(done.status == 1);
    CHECK(fs::file_size(newest) == last.offset);
    CHECK(test::slurp(newest) == original.substr(0, last.offset));
    CHECK(contents(s.data) == snapshots);
    REQUIRE(backups_in(s.data).size() == 1);
    CHECK(run_zabra({"repair", s.data.string(), "--log-dir", s.log.string(), "--yes"}).status == 0);
    CHECK(run_zabra({"rollback", "--undo", backups_in(s.data).front().string(), "--yes"}).status == 1);
    CHECK(test::slurp(newest) == torn);
}

TEST_CASE("--config: a zoo.cfg naming both dirs is used, and a DIR or --log-dir that disagrees with it is a usage error") {
    test::TempDir tmp;
    const Split s = split_fixture(tmp.path());
    const auto expected = one_dir_result(s);
    const auto before = both(s);
    const fs::path cfg = tmp.path() / "zoo.cfg";
    test::spit(cfg, fmt::format("# a server with its own log device\ntickTime=2000\ndataDir = {}\ndataLogDir={}\nclientPort=2181\n",
                                s.data.string(), s.log.string()));

    CHECK(run_zabra({"rollback", s.one.string(), "--config", cfg.string(), "--to", "0x50"}).status == 2);
    CHECK(run_zabra({"rollback", s.data.string(), "--config", cfg.string(), "--log-dir", s.one.string(), "--to", "0x50"}).status == 2);
    CHECK(run_zabra({"repair", s.one.string(), "--config", cfg.string(), "--yes"}).status == 2);
    CHECK(run_zabra({"rollback", "--log-dir", s.log.string(), "--to", "0x50"}).status == 2);  // no data dir
    CHECK(run_zabra({"repair"}).status == 2);
    CHECK(both(s) == before);
    // The same dirs named both ways (here as the version-2 dir) agree.
    CHECK(run_zabra({"rollback", (s.data / "version-2").string(), "--config", cfg.string(), "--to", "0x50"}).status == 4);
    CHECK(run_zabra({"repair", "--config", cfg.string()}).status == 0);

    const test::CommandResult done = run_zabra({"rollback", "--config", cfg.string(), "--to", "0x50", "--yes"});
    INFO(done.out);
    REQUIRE(done.status == 1);
    CHECK(both(s) == expected);
}

TEST_CASE("with separate dirs, snapshots in the log dir or logs in the data dir are refused, as ZooKeeper refuses to start") {
    test::TempDir tmp;
    const Split s = split_fixture(tmp.path());
    SUBCASE("a snapshot in the log dir") {
        fs::copy_file(s.data / "version-2" / "snapshot.43", s.log / "version-2" / "snapshot.43");
    }
    SUBCASE("a log in the data dir") {
        fs::copy_file(s.log / "version-2" / "log.1", s.data / "version-2" / "log.1");
    }
    const auto data_before = contents(s.data), log_before = contents(s.log);
    const test::CommandResult r = run_zabra(rollback_split(s));
    CHECK(r.status == 32);
    CHECK(r.out.find("ZooKeeper refuses to start") != std::string::npos);
    CHECK(run_zabra({"repair", s.data.string(), "--log-dir", s.log.string(), "--yes"}).status == 32);
    CHECK(contents(s.data) == data_before);
    CHECK(contents(s.log) == log_before);
    CHECK(backups_in(s.data).empty());
    CHECK(zab::misplaced_files({s.data, s.log}).has_value());
    CHECK_FALSE(zab::misplaced_files({s.one, s.one / "version-2"}).has_value());  // one dir named twice
}

TEST_CASE("list_server_dirs reads logs only from the log dir and snapshots only from the data dir") {
    test::TempDir tmp;
    const Split s = split_fixture(tmp.path());
    const zab::DataDir one = zab::list_data_dir(s.one);
    const zab::DataDir two = zab::list_server_dirs({s.data, s.log});
    REQUIRE(two.logs.size() == one.logs.size());
    REQUIRE(two.snapshots.size() == one.snapshots.size());
    for (const auto& f : two.logs) CHECK(f.path.parent_path() == s.log / "version-2");
    for (const auto& f : two.snapshots) CHECK(f.path.parent_path() == s.data / "version-2");
    fs::copy_file(s.data / "version-2" / "snapshot.43", s.log / "version-2" / "snapshot.43");
    const zab::DataDir stray = zab::list_server_dirs({s.data, s.log});
    CHECK(stray.snapshots.size() == one.snapshots.size());
    CHECK(std::find(stray.other.begin(), stray.other.end(), s.log / "version-2" / "snapshot.43") != stray.other.end());
}

TEST_CASE("file_plan: two files of one name in two dirs get two backup names, and undo restores both") {
    test::TempDir tmp;
    fs::create_directories(tmp.path() / "a");
    fs::create_directories(tmp.path() / "b");
    test::spit(tmp.path() / "a" / "log.1", "first");
    test::spit(tmp.path() / "b" / "log.1", "second");
    FilePlan plan{"repair", "test", {}};
    plan.steps.push_back({FileStep::Kind::MoveAside, tmp.path() / "a" / "log.1", 0, ""});
    plan.steps.push_back({FileStep::Kind::Cut, tmp.path() / "b" / "log.1", 3, ""});
    const fs::path backup = apply_file_plan(plan, tmp.path());
    CHECK(test::slurp(backup / "log.1") == "first");
    CHECK(test::slurp(backup / "2-log.1") == "second");
    CHECK(test::slurp(tmp.path() / "b" / "log.1") == "sec");
    undo_file_plan(backup);
    CHECK(test::slurp(tmp.path() / "a" / "log.1") == "first");
    CHECK(test::slurp(tmp.path() / "b" / "log.1") == "second");
}

TEST_CASE("file_plan: a move across file systems stopped between its copy and the unlink is finished by the re-run") {
    test::TempDir tmp;
    fs::create_directories(tmp.path() / "logs");
    const fs::path file = tmp.path() / "logs" / "log.5";
    test::spit(file, "txns");
    FilePlan plan{"rollback", "0x4", {}};
    plan.steps.push_back({FileStep::Kind::MoveAside, file, 0, ""});
    const fs::path backup = apply_file_plan(plan, tmp.path());
    // What move_durably leaves when killed at its "unlink" point: the copy
    // whole in the backup, the file still in place, the journal "applying".
    fs::copy_file(backup / "log.5", file);
    std::string journal = test::slurp(backup / "journal.json");
    const auto at = journal.find("\"state\":\"done\"");
    REQUIRE(at != std::string::npos);
    journal.replace(at, 14, "\"state\":\"applying\"");
    test::spit(backup / "journal.json", journal);
    REQUIRE(unfinished_journal(tmp.path()).has_value());
    resume_file_plan(backup);
    CHECK_FALSE(fs::exists(file));
    CHECK(test::slurp(backup / "log.5") == "txns");
    CHECK(read_journal_state(backup).state == "done");
    undo_file_plan(backup);
    CHECK(test::slurp(file) == "txns");
}

TEST_CASE("zoo.cfg: the tools and zabra-node read it alike, dataLogDir defaulting to dataDir") {
    test::TempDir tmp;
    const fs::path cfg = tmp.path() / "zoo.cfg";
    test::spit(cfg, "# comment\n! also a comment\n\n  dataDir = /var/zk/data  \nclientPort:2182\n");
    const zab::ZooCfgDirs d = zab::zoo_cfg_dirs(cfg);
    CHECK(d.data_dir == "/var/zk/data");
    CHECK(d.data_log_dir == "/var/zk/data");
    const node::NodeConfig n = node::read_config(cfg);
    CHECK(n.data_dir == d.data_dir);
    CHECK(n.data_log_dir == d.data_log_dir);
    CHECK(n.client_port == 2182);
    test::spit(cfg, "dataDir=/a\ndataLogDir=/b\n");
    CHECK(zab::zoo_cfg_dirs(cfg).data_log_dir == "/b");
    CHECK(node::read_config(cfg).data_log_dir == "/b");
    test::spit(cfg, "dataLogDir=/b\n");
    CHECK_THROWS_WITH_AS(zab::zoo_cfg_dirs(cfg), doctest::Contains("dataDir is not set"), std::runtime_error);
    test::spit(cfg, "dataDir=/a\nnot a setting\n");
    CHECK_THROWS_WITH_AS(zab::zoo_cfg_dirs(cfg), doctest::Contains("zoo.cfg:2: expected key=value"), std::runtime_error);
    CHECK_THROWS_WITH_AS(node::read_config(cfg), doctest::Contains("zoo.cfg:2: expected key=value"), std::runtime_error);
    test::spit(cfg, "dataDir=/a\nclientPort=x\n");
    CHECK_THROWS_WITH_AS(node::read_config(cfg), doctest::Contains("zoo.cfg:2: clientPort"), std::runtime_error);
}
