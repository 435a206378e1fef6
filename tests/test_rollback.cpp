// zabra rollback and repair on copies of real ZooKeeper data: the result,
// the backup and undo byte for byte, refusals, and a crash at every mutation
// point of the apply step followed by a re-run.
#include "helpers.h"
#include "libformat/common/file_plan.h"
#include "libformat/common/mapped_file.h"
#include "libformat/common/safe_fs.h"
#include "libformat/etcd/member_dir.h"
#include "libformat/etcd/wal_rollback.h"
#include "libformat/etcd/wal_verify.h"
#include "libformat/etcd/wal_writer.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/rollback.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/verify.h"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <functional>
#include <map>

#include <signal.h>
#include <unistd.h>

using namespace zabra;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kTarget = 0x50;  // in log.45 of the standalone fixture

fs::path copy_fixture(const fs::path& into) {
    fs::copy(test::fixtures() / "zk" / "standalone" / "data", into / "data", fs::copy_options::recursive);
    return into / "data";
}

// name -> SHA-1 of every file in version-2
std::map<std::string, std::string> contents(const fs::path& data) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(data / "version-2")) out[e.path().filename().string()] = file_sha1(e.path());
    return out;
}

std::vector<std::int64_t> zxids(const fs::path& data) {
    std::vector<std::int64_t> out;
    for (const auto& f : zab::list_data_dir(data).logs) {
        MappedFile m(f.path);
        zab::TxnLogReader r(m.bytes());
        zab::TxnLogRecord rec;
        while (r.next(rec)) out.push_back(zab::decode_txn_header(rec.payload).zxid);
    }
    return out;
}


// Runs argv until its status is `want` (or 5 s pass: the background
// process may take a moment to start); returns the last status.
int status_once_it_is(const std::vector<std::string>& argv, int want) {
    int status = -1;
    for (int i = 0; i < 50 && (status = test::run_command(argv).status) != want; ++i) ::usleep(100000);
    return status;
}

fs::path only_backup(const fs::path& data) {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(data)) {
        if (e.path().filename().string().starts_with("zabra-backup-")) dirs.push_back(e.path());
    }
    REQUIRE(dirs.size() == 1);
    return dirs.front();
}

// Runs the zabra command that `command(data)` gives on a fresh copy of the
// fixture with ZABRA_CRASH_AT=1, 2, ... until a run ends without crashing
// (every point was tried); after each crash, `check(data)`. Returns how many
// points it crashed at.
int crash_at_every_point(const std::function<std::vector<std::string>(const fs::path&)>& command,
                         const std::function<void(const fs::path&)>& check) {
    int points = 0;
    for (int n = 1; n < 500; ++n) {
        test::TempDir tmp;
        const fs::path data = copy_fixture(tmp.path());
        std::vector<std::string> argv{"env", fmt::format("ZABRA_CRASH_AT={}", n), ZABRA_BINARY};
        for (const std::string& a : command(data)) argv.push_back(a);
        const test::CommandResult crashed = test::run_command(argv);
        if (crashed.status == 1) break;
        INFO("crash at mutation point ", n);
        REQUIRE(crashed.status == 137);  // SIGKILL
        ++points;
        check(data);
    }
    return points;
}

}  // namespace

TEST_CASE("rollback: the data dir ends exactly at the target, as ZooKeeper's TRUNC leaves it, with newer snapshots aside") {
    test::TempDir tmp;
    const fs::path data = copy_fixture(tmp.path());
    const auto before = contents(data);
    const auto all = zxids(data);
    const zab::RollbackPlan plan = zab::plan_rollback(data, kTarget);
    const fs::path backup = apply_file_plan(plan.plan, data);
    std::vector<std::int64_t> kept(all.begin(), std::find(all.begin(), all.end(), kTarget) + 1);
    CHECK(zxids(data) == kept);
    // Cut as FileTxnLog.truncate does: the file ends at the record, padding gone.
    const fs::path holder = data / "version-2" / "log.45";
    const std::string cut = test::slurp(holder);
    zab::TxnLogReader r(as_bytes(cut));
    zab::TxnLogRecord rec, last;
    while (r.next(rec)) last = rec;
    CHECK(fs::file_size(holder) == last.offset + last.size());
    for (const auto& s : zab::list_data_dir(data).snapshots) CHECK(s.name.zxid <= kTarget);
    const zab::VerifyReport v = zab::verify({data});
    CHECK(v.count(Severity::Error) == 0);
    CHECK(v.stats.last_zxid == kTarget);
    // Nothing is lost: every original file is intact in version-2 or in the backup.
    for (const auto& [name, sha] : before) {
        const bool here = fs::exists(data / "version-2" / name) && file_sha1(data / "version-2" / name) == sha;
        const bool saved = fs::exists(backup / name) && file_sha1(backup / name) == sha;
        CHECK_MESSAGE(here != saved, name);
    }
    // A second run has nothing to do.
    CHECK(zab::plan_rollback(data, kTarget).plan.steps.empty());
    // Undo puts every byte back.
    undo_file_plan(backup);
    CHECK(contents(data) == before);
    CHECK(read_journal_state(backup).state == "undone");
}

TEST_CASE("rollback --undo refuses to restore over a file written after the rollback, and changes nothing") {
    test::TempDir tmp;
    const fs::path data = copy_fixture(tmp.path());
    const fs::path backup = apply_file_plan(zab::plan_rollback(data, kTarget).plan, data);
    // A server ran on the rolled-back dir and appended to the cut log.
    const fs::path cut = data / "version-2" / "log.45";
    std::string grown = test::slurp(cut) + std::string("new txns");
    test::spit(cut, grown);
    const auto before = contents(data);
    CHECK_THROWS_WITH_AS(undo_file_plan(backup), doctest::Contains("changed after the rollback"), std::runtime_error);
    CHECK(contents(data) == before);
    CHECK(read_journal_state(backup).state == "done");
    // A moved-aside log's name taken again by a new file is refused as well.
    test::spit(cut, grown.substr(0, grown.size() - 8));
    test::spit(data / "version-2" / "log.5e", "a new log");
    CHECK_THROWS_WITH_AS(undo_file_plan(backup), doctest::Contains("written again"), std::runtime_error);
    fs::remove(data / "version-2" / "log.5e");
    undo_file_plan(backup);
    CHECK(read_journal_state(backup).state == "undone");
}

TEST_CASE("rollback: a zxid in no log is refused with the nearest lower one, and damage before the target too") {
    test::TempDir tmp;
    const fs::path data = copy_fixture(tmp.path());
    try {
        zab::plan_rollback(data, 0x10000);
        FAIL("not refused");
    } catch (const zab::RollbackRefused& e) {
        CHECK(e.nearest_lower == 0xde);
    }
    std::string bytes = test::slurp(data / "version-2" / "log.1f");
    bytes[200] ^= 0x11;  // a payload byte of an early record
    test::spit(data / "version-2" / "log.1f", bytes);
    CHECK_THROWS_AS(zab::plan_rollback(data, 0x40), zab::RollbackRefused);
}

TEST_CASE("repair: a torn tail is cut, an empty newest log moved aside, damage with data after it left alone") {
    test::TempDir tmp;
    const fs::path data = copy_fixture(tmp.path());
    const fs::path newest = zab::list_data_dir(data).logs.back().path;
    const std::string original = test::slurp(newest);
    zab::TxnLogRecord rec, last;
    zab::TxnLogReader r(as_bytes(original));  // from a copy: no file of the dir stays open
    while (r.next(rec)) last = rec;
    SUBCASE("torn tail") {
        std::string torn = original;
        std::fill(torn.begin() + static_cast<std::ptrdiff_t>(last.offset + 20), torn.end(), '\0');
        test::spit(newest, torn);
        const zab::RepairPlan p = zab::plan_repair(data);
        REQUIRE(p.plan.steps.size() == 1);
        CHECK(p.plan.steps[0].kind == FileStep::Kind::Cut);
        CHECK(p.plan.steps[0].new_size == last.offset);
        CHECK(p.unrepairable.empty());
        apply_file_plan(p.plan, data);
        CHECK(fs::file_size(newest) == last.offset);
        CHECK(zab::plan_repair(data).plan.steps.empty());
    }
    SUBCASE("an empty newest log") {
        const fs::path empty = data / "version-2" / "log.1000";
        test::spit(empty, "");
        const zab::RepairPlan p = zab::plan_repair(data);
        REQUIRE(p.plan.steps.size() == 1);
        CHECK(p.plan.steps[0].kind == FileStep::Kind::MoveAside);
        CHECK(p.plan.steps[0].file == empty);
    }
    SUBCASE("a flipped byte mid-file: reported with what cutting would lose, nothing planned") {
        const fs::path older = zab::list_data_dir(data).logs.front().path;
        std::string bytes = test::slurp(older);
        bytes[100] ^= 0x01;
        test::spit(older, bytes);
        const zab::RepairPlan p = zab::plan_repair(data);
        CHECK(p.plan.steps.empty());
        REQUIRE(p.unrepairable.size() == 1);
        CHECK(p.unrepairable[0].find("resync this server from the quorum") != std::string::npos);
        const test::CommandResult cli = test::run_command({ZABRA_BINARY, "repair", data.string(), "--yes"});
        CHECK(cli.status == 4);
        CHECK(test::slurp(older) == bytes);
    }
}

TEST_CASE("rollback: a crash at every write, rename, truncate and fsync of the apply step, then a re-run, ends as one run does") {
    test::TempDir ref_dir;
    const fs::path ref = copy_fixture(ref_dir.path());
    const auto original = contents(ref);
    const test::CommandResult first = test::run_command({ZABRA_BINARY, "rollback", ref.string(), "--to", "0x50", "--yes"});
    INFO(first.out);
    REQUIRE(first.status == 1);
    const auto expected = contents(ref);
    const auto rollback = [](const fs::path& data) {
        return std::vector<std::string>{"rollback", data.string(), "--to", "0x50", "--yes"};
    };
    const int points = crash_at_every_point(rollback, [&](const fs::path& data) {
        // Right after the crash no byte is lost: each original file is in
        // version-2 or, whole, in the backup.
        for (const auto& [name, sha] : original) {
            bool found = fs::exists(data / "version-2" / name) && file_sha1(data / "version-2" / name) == sha;
            for (const auto& e : fs::directory_iterator(data)) {
                if (!found && e.is_directory() && fs::exists(e.path() / name)) found = file_sha1(e.path() / name) == sha;
            }
            CHECK_MESSAGE(found, name);
        }
        const test::CommandResult rerun =
            test::run_command({ZABRA_BINARY, "rollback", data.string(), "--to", "0x50", "--yes"});
        CHECK(rerun.status <= 1);
        CHECK(contents(data) == expected);
        CHECK(test::run_command({ZABRA_BINARY, "rollback", data.string(), "--to", "0x50", "--yes"}).status == 0);
    });
    MESSAGE("mutation points tested: ", points);
    CHECK(points > 20);
}

TEST_CASE("rollback --undo: a crash at every point of the undo, then a re-run, restores every byte") {
    test::TempDir ref_dir;
    const fs::path ref = copy_fixture(ref_dir.path());
    const auto original = contents(ref);
    fs::path backup;
    const auto undo = [&backup](const fs::path& data) {
        REQUIRE(test::run_command({ZABRA_BINARY, "rollback", data.string(), "--to", "0x50", "--yes"}).status == 1);
        backup = only_backup(data);
        return std::vector<std::string>{"rollback", "--undo", backup.string(), "--yes"};
    };
    const int points = crash_at_every_point(undo, [&](const fs::path& data) {
        CHECK(test::run_command({ZABRA_BINARY, "rollback", "--undo", backup.string(), "--yes"}).status <= 1);
        CHECK(contents(data) == original);
    });
    MESSAGE("undo mutation points tested: ", points);
    CHECK(points > 10);
}

TEST_CASE("rollback and repair refuse a data dir a live process has files open in, and change nothing") {
    test::TempDir tmp;
    const fs::path data = copy_fixture(tmp.path());
    const auto before = contents(data);
    const fs::path log = zab::list_data_dir(data).logs.back().path;
    // A stand-in for a server: a process holding the newest log open.
    test::BackgroundCommand server(fmt::format("bash -c \"exec 3<'{}'; sleep 30\"", log.string()));
    status_once_it_is({ZABRA_BINARY, "rollback", data.string(), "--to", "0x50"}, 32);
    CHECK(test::run_command({ZABRA_BINARY, "rollback", data.string(), "--to", "0x50", "--yes"}).status == 32);
    CHECK(test::run_command({ZABRA_BINARY, "repair", data.string(), "--yes"}).status == 32);
    CHECK(contents(data) == before);
}

TEST_CASE("a server that has no file open yet is still seen, by the config on its command line") {
    test::TempDir tmp;
    const fs::path data = copy_fixture(tmp.path());
    const fs::path cfg = tmp.path() / "zoo.cfg";
    test::spit(cfg, fmt::format("tickTime=2000\ndataDir={}\nclientPort=2181\n", data.string()));
    // As `java ... QuorumPeerMain zoo.cfg` or `zabra-node zoo.cfg` would be, before its first write.
    test::BackgroundCommand server(fmt::format("bash -c 'sleep 30; true' '{}'", cfg.string()));
    CHECK(status_once_it_is({ZABRA_BINARY, "repair", data.string()}, 32) == 32);
    server.stop();
    CHECK(status_once_it_is({ZABRA_BINARY, "repair", data.string()}, 0) == 0);
}

TEST_CASE("rollback of an etcd member: refused below the commit index, else the WAL ends at the index, and undo restores it") {
    test::TempDir tmp;
    const fs::path e1 = test::restore_etcd_member("e1", tmp.path());
    const fs::path wal = e1 / "member" / "wal";
    std::map<std::string, std::string> before;
    for (const auto& e : fs::directory_iterator(wal)) before[e.path().filename().string()] = file_sha1(e.path());
    const test::CommandResult refused = test::run_command({ZABRA_BINARY, "rollback", e1.string(), "--to", "200", "--yes"});
    CHECK(refused.status == 32);
    CHECK(refused.out.find("below the commit index 234") != std::string::npos);
    CHECK(test::run_command({ZABRA_BINARY, "rollback", e1.string(), "--to", "234"}).status == 0);  // already ends there
    const test::CommandResult done =
        test::run_command({ZABRA_BINARY, "rollback", e1.string(), "--to", "200", "--below-commit", "--yes"});
    REQUIRE(done.status == 1);
    VerifyReport r;
    etcd::verify_member(etcd::list_member_dir(e1), r);
    CHECK(r.stats.last_index == 200);
    CHECK(r.count(Severity::Error) == 0);
    CHECK(r.stats.etcd_snap->filename() == "0000000000000003-00000000000000a4.snap");  // the one at 205 went aside
    fs::path backup;
    for (const auto& e : fs::directory_iterator(e1)) {
        if (e.path().filename().string().starts_with("zabra-backup-")) backup = e.path();
    }
    REQUIRE(!backup.empty());
    CHECK(test::run_command({ZABRA_BINARY, "rollback", "--undo", backup.string(), "--yes"}).status == 1);
    std::map<std::string, std::string> after;
    for (const auto& e : fs::directory_iterator(wal)) after[e.path().filename().string()] = file_sha1(e.path());
    CHECK(after == before);
}

TEST_CASE("rollback of an etcd member to an index a new leader later rewrote below is refused") {
    test::TempDir tmp;
    const fs::path wal = tmp.path() / "member" / "wal";
    fs::create_directories(wal);
    etcd::WalEncoder enc;
    enc.crc_record();
    enc.metadata({1, 2});
    enc.snapshot({0, 0, std::nullopt});
    for (std::uint64_t i = 1; i <= 9; ++i) enc.entry({0, 1, i, {}});
    enc.hard_state({1, 1, 5});
    for (std::uint64_t i = 6; i <= 8; ++i) enc.entry({0, 2, i, {}});  // the new leader's shorter log
    enc.hard_state({2, 1, 8});
    test::spit(wal / etcd::segment_file_name(0, 0), enc.preallocated(64 * 1024));
    const etcd::MemberDir m = etcd::list_member_dir(tmp.path());
    CHECK_THROWS_WITH_AS(etcd::plan_wal_rollback(m, 9, true), doctest::Contains("replaced by a new leader"),
                         etcd::WalRollbackRefused);
    const etcd::WalRollbackPlan p = etcd::plan_wal_rollback(m, 8, false);
    CHECK(p.commit == 8);
}

TEST_CASE("rollback below every snapshot is refused: ZooKeeper would not start without one") {
    test::TempDir tmp;
    const fs::path data = copy_fixture(tmp.path());
    fs::remove(data / "version-2" / "snapshot.0");  // the empty one ZooKeeper writes at its first start
    const auto snaps = zab::list_data_dir(data).snapshots;
    REQUIRE(snaps.front().name.zxid > 0x2);
    CHECK_THROWS_WITH_AS(zab::plan_rollback(data, 0x2), doctest::Contains("would not start"), zab::RollbackRefused);
}
