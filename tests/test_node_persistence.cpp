// zabra-node's disk side: fuzzy snapshots replay to the live tree; recovery
// cuts a torn tail but refuses mid-file damage.
#include "helpers.h"
#include "libformat/common/mapped_file.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/snapshot_reader.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/txnlog_writer.h"
#include "node/persistence.h"
#include "node/processor.h"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

using namespace zabra;
using namespace zabra::node;
namespace fs = std::filesystem;

namespace {

struct Live {
    zab::DataTree tree;
    Processor proc{tree, ProcessorOptions{2000, -1, -1, true, true, 1, 1000}};
    Session* session = nullptr;
    std::vector<zab::Txn> log;
    std::int32_t xid = 1;
    std::int64_t now = 1'700'000'000'000;
    Live() { keep(proc.create_session(30000, now, session)); }
    void keep(const Outcome& o) {
        if (!o.txn) return;
        REQUIRE(proc.commit(*o.txn));  // standalone: committed before the next request
        log.push_back(*o.txn);
    }
    void run(std::int32_t type, RequestBody body) { keep(proc.process(*session, Request{xid++, type, std::move(body)}, ++now)); }
    void create(const std::string& path, const std::vector<zab::Acl>& acl = {{31, "world", "anyone"}}) {
        run(opcode::create, CreateRequest{path, std::string("v"), acl, 0, -1});
    }
    // Every txn so far, as one log file.
    void write_log(const fs::path& file, zab::TxnLogWriterOptions options) const {
        zab::TxnLogWriter w(file, options);
        for (const auto& t : log) w.append(t);
        w.sync();
    }
};

}  // namespace

TEST_CASE("a fuzzy snapshot taken while the tree changes replays to the live tree") {
    Live live;
    for (int i = 0; i < 50; ++i) live.create(fmt::format("/n{:02}", i));
    for (int i = 0; i < 50; ++i) live.create(fmt::format("/n{:02}/c", i));
    FuzzySnapshot snap(live.proc.last_zxid());
    const std::size_t first_after = live.log.size();
    int round = 0;
    while (!snap.step(live.tree, 7)) {
        // Between slices: nodes both before and after the cursor change.
        const int k = (round * 13) % 50;
        live.run(opcode::setData, SetDataRequest{fmt::format("/n{:02}", k), std::string("new"), -1});
        live.run(opcode::delete_, DeleteRequest{fmt::format("/n{:02}/c", (k + 25) % 50), -1});
        live.create(fmt::format("/n{:02}/d{}", (k + 7) % 50, round));
        live.run(opcode::setACL, SetAclRequest{fmt::format("/n{:02}", (k + 3) % 50),
                                               std::vector<zab::Acl>{{1, "world", "anyone"}, {31, "digest", fmt::format("u{}:x", round)}}, -1});
        ++round;
    }
    REQUIRE(round > 5);
    std::vector<std::pair<std::int64_t, std::int32_t>> sessions{{live.session->id, live.session->timeout_ms}};
    const std::string bytes = encode_fuzzy_snapshot(snap.finish(live.tree, live.proc.last_zxid(), sessions));

    zab::SnapshotReadResult r;
    zab::DataTree loaded = zab::DataTree::load(as_bytes(bytes), snap.zxid(), r);
    REQUIRE(r.ok());
    for (std::size_t i = first_after; i < live.log.size(); ++i) {
        const zab::DigestCheck c = loaded.apply_and_check(live.log[i]);
        CHECK(c.matches());
    }
    CHECK(loaded.digest() == live.tree.digest());
    REQUIRE(loaded.nodes().size() == live.tree.nodes().size());
    for (const auto& [path, n] : live.tree.nodes()) {
        const zab::DataNode* m = loaded.find(path);
        REQUIRE_MESSAGE(m != nullptr, path);
        CHECK(m->stat == n.stat);
        CHECK(m->data == n.data);
        CHECK(loaded.acl_list(m->acl) == live.tree.acl_list(n.acl));
    }
}

TEST_CASE("recovery cuts a torn tail, keeping the file's size, and refuses mid-file damage") {
    test::TempDir tmp;
    const fs::path v2 = tmp.sub("version-2");
    Live live;
    for (int i = 0; i < 20; ++i) live.create(fmt::format("/k{}", i));
    live.write_log(v2 / "log.1", {4096, 0});
    const std::string original = test::slurp(v2 / "log.1");
    std::vector<std::string> lines;
    auto log = [&lines](const std::string& s) { lines.push_back(s); };

    // Torn: the last record's second half is gone (zeros).
    std::string torn = original;
    zab::TxnLogReader reader(as_bytes(original));
    zab::TxnLogRecord rec, last;
    while (reader.next(rec)) last = rec;
    for (std::size_t i = last.offset + last.size() / 2; i < last.offset + last.size(); ++i) torn[i] = 0;
    test::spit(v2 / "log.1", torn);
    Recovered got = recover({v2, v2, false}, log);
    CHECK(got.last_zxid == live.log[live.log.size() - 2].header.zxid);
    CHECK(fs::file_size(v2 / "log.1") == original.size());
    const std::string after = test::slurp(v2 / "log.1");
    CHECK(after.find_first_not_of('\0', last.offset) == std::string::npos);
    CHECK(std::any_of(lines.begin(), lines.end(), [](const std::string& l) { return l.find("torn tail") != std::string::npos; }));

    // Mid-file: a flipped byte in the fifth record.
    std::string damaged = original;
    zab::TxnLogReader r2(as_bytes(original));
    for (int i = 0; i < 5; ++i) r2.next(rec);
    damaged[rec.offset + 20] = static_cast<char>(damaged[rec.offset + 20] ^ 0x40);
    test::spit(v2 / "log.1", damaged);
    CHECK_THROWS_WITH_AS(recover({v2, v2, false}, log), doctest::Contains("refusing to start"), std::runtime_error);
    CHECK(test::slurp(v2 / "log.1") == damaged);  // untouched
    Recovered forced = recover({v2, v2, true}, log);
    CHECK(forced.last_zxid == live.log[3].header.zxid);
}

TEST_CASE("zabra-node's logs grow in whole preallocation steps however many records one flush carries") {
    test::TempDir tmp;
    const fs::path file = tmp.path() / "log.1";
    zab::TxnLogWriter w(file, {4096, 0, true});
    Live live;
    for (int i = 0; i < 300; ++i) live.run(opcode::create, CreateRequest{fmt::format("/big{}", i), std::string(500, 'x'), std::vector<zab::Acl>{{31, "world", "anyone"}}, 0, -1});
    for (const auto& t : live.log) w.append(t);  // one flush for all: > 150 KiB at once
    w.sync();
    const auto size = fs::file_size(file);
    CHECK((size - 16) % 4096 == 0);
    CHECK(size > w.data_end());
    const std::string bytes = test::slurp(file);
    zab::TxnLogReader r(as_bytes(bytes));
    zab::TxnLogRecord rec;
    std::size_t n = 0;
    while (r.next(rec)) ++n;
    CHECK(n == live.log.size());
}

TEST_CASE("a node with null data stays null through a snapshot") {
    Live live;
    live.run(opcode::create, CreateRequest{"/null", std::nullopt, std::vector<zab::Acl>{{31, "world", "anyone"}}, 0, -1});
    live.create("/empty");
    FuzzySnapshot snap(live.proc.last_zxid());
    while (!snap.step(live.tree, 100)) {
    }
    const std::string bytes = encode_fuzzy_snapshot(snap.finish(live.tree, live.proc.last_zxid(), {}));
    zab::SnapshotReadResult r;
    const zab::DataTree loaded = zab::DataTree::load(as_bytes(bytes), snap.zxid(), r);
    REQUIRE(loaded.find("/null") != nullptr);
    CHECK_FALSE(loaded.find("/null")->data.has_value());
    CHECK(loaded.find("/empty")->data == zab::Buffer(std::string("v")));
}

TEST_CASE("a new log appears under its log.<zxid> name only with its header and records durable") {
    test::TempDir tmp;
    const fs::path v2 = tmp.sub("version-2");
    Live live;
    for (int i = 0; i < 30; ++i) live.create(fmt::format("/s{}", i));
    std::mutex mu;
    std::condition_variable cv;
    std::int64_t durable = 0;
    std::vector<std::vector<std::string>> seen_at_ack;  // the dir's names when each ack came
    {
        TxnLogSyncer syncer(v2, 4096, [&](std::int64_t z) {
            std::vector<std::string> names;
            for (const auto& e : fs::directory_iterator(v2)) names.push_back(e.path().filename().string());
            std::lock_guard lock(mu);
            seen_at_ack.push_back(std::move(names));
            durable = z;
            cv.notify_all();
        });
        for (std::size_t i = 0; i < live.log.size(); ++i) {
            if (i == 10) syncer.roll();
            syncer.submit(live.log[i]);
        }
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return durable == live.log.back().header.zxid; });
    }
    for (const auto& names : seen_at_ack) {
        for (const auto& n : names) CHECK_MESSAGE(!n.starts_with("zabra-tmp."), n);  // published before the ack
    }
    const zab::DataDir dir = zab::list_data_dir(v2);
    REQUIRE(dir.logs.size() == 2);
    CHECK(dir.logs[0].name.zxid == live.log[0].header.zxid);
    CHECK(dir.logs[1].name.zxid == live.log[10].header.zxid);
    std::size_t records = 0;
    for (const auto& f : dir.logs) {
        const std::string bytes = test::slurp(f.path);
        zab::TxnLogReader r(as_bytes(bytes));
        zab::TxnLogRecord rec;
        while (r.next(rec)) ++records;
        CHECK(r.end().kind == zab::LogEndKind::Clean);
    }
    CHECK(records == live.log.size());
}

TEST_CASE("recovery removes an unpublished log and moves aside a newest log that is all zeros") {
    test::TempDir tmp;
    const fs::path v2 = tmp.sub("version-2");
    Live live;
    for (int i = 0; i < 8; ++i) live.create(fmt::format("/u{}", i));
    live.write_log(v2 / "log.1", {4096, 0, true});
    const std::int64_t next = live.log.back().header.zxid + 1;
    std::vector<std::string> lines;
    auto log = [&lines](const std::string& s) { lines.push_back(s); };

    SUBCASE("a temporary log a kill left behind") {
        test::spit(v2 / fmt::format("zabra-tmp.{}", zab::log_file_name(next)), zab::encode_log_header());
        const Recovered r = recover({v2, v2, false}, log);
        CHECK(r.last_zxid == live.log.back().header.zxid);
        CHECK_FALSE(fs::exists(v2 / fmt::format("zabra-tmp.{}", zab::log_file_name(next))));
    }
    SUBCASE("an empty newest log") {
        test::spit(v2 / zab::log_file_name(next), "");
        const Recovered r = recover({v2, v2, false}, log);
        CHECK(r.last_zxid == live.log.back().header.zxid);
        CHECK_FALSE(fs::exists(v2 / zab::log_file_name(next)));
        CHECK(fs::exists(tmp.path() / "zabra-unfinished" / zab::log_file_name(next)));
    }
    SUBCASE("a preallocated newest log whose header was never written") {
        test::spit(v2 / zab::log_file_name(next), std::string(4096 + 16, '\0'));
        const Recovered r = recover({v2, v2, false}, log);
        CHECK(r.last_zxid == live.log.back().header.zxid);
        CHECK(fs::exists(tmp.path() / "zabra-unfinished" / zab::log_file_name(next)));
    }
    SUBCASE("but a zeroed log that is not the newest is damage, and stops the start") {
        test::spit(v2 / zab::log_file_name(next), std::string(64, '\0'));
        std::string later = zab::encode_log_header();
        test::spit(v2 / zab::log_file_name(next + 5), later);
        CHECK_THROWS_WITH_AS(recover({v2, v2, false}, log), doctest::Contains("refusing to start"), std::runtime_error);
        CHECK(fs::exists(v2 / zab::log_file_name(next)));
    }
    SUBCASE("and a newest log with a single non-zero byte is not taken for an unfinished one") {
        std::string bytes(64, '\0');
        bytes[40] = 7;
        test::spit(v2 / zab::log_file_name(next), bytes);
        CHECK_THROWS_WITH_AS(recover({v2, v2, false}, log), doctest::Contains("refusing to start"), std::runtime_error);
    }
}
