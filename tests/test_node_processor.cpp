// zabra-node's request logic against ZooKeeper 3.8's behaviour, without
// sockets or disks. The expected values were read off a real ZooKeeper
// 3.8.0 (see the research notes in the issue: error txns, multi layouts,
// check order, client-visible stats).
#include "libformat/zab/txn_codec.h"
#include "node/processor.h"
#include "node/watches.h"
#include "node/wire.h"

#include <doctest/doctest.h>

#include <fmt/format.h>

using namespace zabra;
using namespace zabra::node;

namespace {

struct Fixture {
    zab::DataTree tree;
    Processor proc{tree, ProcessorOptions{2000, -1, -1, true, true, 1, 1000}};
    Session* session = nullptr;
    std::int32_t next_xid = 1;
    std::int64_t now = 1'700'000'000'000;

    Fixture() { commit(proc.create_session(30000, now, session)); }

    // Standalone: each txn commits before the next request (sync, then final).
    Outcome commit(Outcome o) {
        if (o.txn) REQUIRE(proc.commit(*o.txn));
        return o;
    }
    Outcome prepare(std::int32_t type, RequestBody body) {
        Request r{next_xid++, type, std::move(body)};
        return proc.process(*session, r, ++now);
    }
    Outcome run(std::int32_t type, RequestBody body) { return commit(prepare(type, std::move(body))); }
    Outcome create(const std::string& path, std::int32_t flags = 0, std::int32_t type = opcode::create,
                   std::int64_t ttl = -1) {
        return run(type, CreateRequest{path, std::string("d"), std::vector<zab::Acl>{{31, "world", "anyone"}}, flags,
                                       ttl});
    }
    Stat stat(const std::string& path) {
        const Outcome o = run(opcode::exists, PathWatchRequest{path, false});
        REQUIRE(o.reply->err == code::ok);
        return std::get<Stat>(o.reply->body);
    }
};

}  // namespace

TEST_CASE("a failed write takes a zxid and is logged as an error txn without a digest") {
    Fixture f;
    REQUIRE(f.create("/a").reply->err == code::ok);
    const Outcome again = f.create("/a");
    CHECK(again.reply->err == code::node_exists);
    REQUIRE(again.txn);
    CHECK(again.txn->header.type == zab::op::error);
    CHECK(again.txn->header.zxid == again.reply->zxid);
    CHECK(std::get<zab::ErrorTxn>(again.txn->body).err == code::node_exists);
    CHECK_FALSE(again.txn->digest);
    const Outcome ok = f.create("/b");
    CHECK(ok.txn->digest);
    CHECK(ok.txn->header.zxid == again.txn->header.zxid + 1);
}

TEST_CASE("reads log nothing and carry the last zxid") {
    Fixture f;
    f.create("/a");
    const Outcome r = f.run(opcode::getData, PathWatchRequest{"/a", false});
    CHECK_FALSE(r.txn);
    CHECK(r.reply->zxid == f.proc.last_zxid());
    const Outcome missing = f.run(opcode::getData, PathWatchRequest{"/nope", false});
    CHECK(missing.reply->err == code::no_node);
    CHECK_FALSE(missing.txn);
}

TEST_CASE("sequential names use the parent's stored cversion, clients see creates plus deletes") {
    Fixture f;
    f.create("/p");
    CHECK(std::get<std::string>(f.create("/p/s-", 2).reply->body) == "/p/s-0000000000");
    CHECK(std::get<std::string>(f.create("/p/s-", 2).reply->body) == "/p/s-0000000001");
    f.run(opcode::delete_, DeleteRequest{"/p/s-0000000000", -1});
    // stored cversion 2 (two creates); one child left: the client sees 2*2-1 = 3
    CHECK(f.stat("/p").persisted.cversion == 3);
    CHECK(f.tree.find("/p")->stat.cversion == 2);
    CHECK(std::get<std::string>(f.create("/p/s-", 2).reply->body) == "/p/s-0000000002");
}

TEST_CASE("create checks in ZooKeeper's order") {
    Fixture f;
    CHECK(f.create("/x", 7).reply->err == code::bad_arguments);  // no such CreateMode
    const Outcome bad_acl = f.run(opcode::create, CreateRequest{"/missing/x", std::string(), std::vector<zab::Acl>{}, 0, -1});
    CHECK(bad_acl.reply->err == code::invalid_acl);  // fixupACL runs before the parent lookup
    CHECK(f.create("/missing/x").reply->err == code::no_node);
    CHECK(f.create("/a/").reply->err == code::no_node);
    f.create("/a");
    CHECK(f.create("/a/").reply->err == code::bad_arguments);
    CHECK(f.create("/e", 1).reply->err == code::ok);  // ephemeral
    CHECK(f.create("/e", 1).reply->err == code::node_exists);  // NodeExists before NoChildrenForEphemerals
    CHECK(f.create("/e/child").reply->err == code::no_children_for_ephemerals);
}

TEST_CASE("TTL nodes need extended types, containers and TTL nodes show no owner") {
    zab::DataTree tree;
    Processor plain(tree, ProcessorOptions{2000, -1, -1, false, true, 1, 1000});
    Session* s = nullptr;
    plain.create_session(30000, 1000, s);
    const Outcome ttl = plain.process(
        *s, Request{1, opcode::createTTL, CreateRequest{"/t", std::string(), std::vector<zab::Acl>{{31, "world", "anyone"}}, 5, 1000}},
        2000);
    CHECK(ttl.reply->err == code::unimplemented);

    Fixture f;
    const Outcome t = f.create("/t", 5, opcode::createTTL, 60000);
    REQUIRE(t.reply->err == code::ok);
    CHECK(std::get<std::pair<std::string, Stat>>(t.reply->body).second.persisted.ephemeral_owner == 0);
    CHECK(f.tree.find("/t")->stat.ephemeral_owner == zab::ttl_owner(60000));
    REQUIRE(f.create("/c", 4, opcode::createContainer).reply->err == code::ok);
    CHECK(f.stat("/c").persisted.ephemeral_owner == 0);
    CHECK(f.create("/c2", 4, opcode::create).reply->err == code::bad_arguments);
}

TEST_CASE("delete: BadVersion before NotEmpty, the special nodes are refused") {
    Fixture f;
    f.create("/a");
    f.create("/a/b");
    CHECK(f.run(opcode::delete_, DeleteRequest{"/a", 5}).reply->err == code::bad_version);
    CHECK(f.run(opcode::delete_, DeleteRequest{"/a", 0}).reply->err == code::not_empty);
    CHECK(f.run(opcode::delete_, DeleteRequest{"/zookeeper", -1}).reply->err == code::bad_arguments);
    CHECK(f.run(opcode::delete_, DeleteRequest{"/", -1}).reply->err == code::bad_arguments);
    CHECK(f.run(opcode::delete_, DeleteRequest{"/a/b", -1}).reply->err == code::ok);
    CHECK(f.run(opcode::delete_, DeleteRequest{"/a/b", -1}).reply->err == code::no_node);
}

TEST_CASE("a failed multi logs the ops before the failure, then error txns, and leaves the tree alone") {
    Fixture f;
    f.create("/a");
    const std::int64_t digest = f.tree.digest();
    MultiOps ops;
    ops.push_back({opcode::create, CreateRequest{"/m", std::string(), std::vector<zab::Acl>{{31, "world", "anyone"}}, 0, -1}});
    ops.push_back({opcode::setData, SetDataRequest{"/a", std::string("x"), 7}});
    ops.push_back({opcode::delete_, DeleteRequest{"/a", -1}});
    const Outcome o = f.run(opcode::multi, ops);
    CHECK(o.reply->err == code::ok);  // the errors are in the results
    const auto& results = std::get<std::vector<MultiResult>>(o.reply->body);
    REQUIRE(results.size() == 3);
    CHECK(results[0].type == opcode::error);
    CHECK(results[0].err == code::ok);
    CHECK(results[1].err == code::bad_version);
    CHECK(results[2].err == code::runtime_inconsistency);
    const auto& subs = *std::get<zab::MultiTxn>(o.txn->body).ops;
    CHECK(subs[0].type == zab::op::create);
    CHECK(subs[1].type == zab::op::error);
    CHECK(subs[2].type == zab::op::error);
    CHECK(o.txn->header.type == zab::op::multi);
    REQUIRE(o.txn->digest);
    CHECK(o.txn->digest->tree_digest == digest);
    CHECK(f.tree.find("/m") == nullptr);
    // The logged txn decodes back to the same sub-txns.
    const std::string bytes = zab::encode_txn(*o.txn);
    const zab::Txn back = zab::decode_txn(as_bytes(bytes));
    CHECK(std::get<zab::MultiTxn>(back.body).ops->size() == 3);
}

TEST_CASE("a multi sees its own earlier ops, create2 inside it answers as a plain create") {
    Fixture f;
    MultiOps ops;
    ops.push_back({opcode::create2, CreateRequest{"/m", std::string("1"), std::vector<zab::Acl>{{31, "world", "anyone"}}, 0, -1}});
    ops.push_back({opcode::create, CreateRequest{"/m/c", std::string(), std::vector<zab::Acl>{{31, "world", "anyone"}}, 0, -1}});
    ops.push_back({opcode::setData, SetDataRequest{"/m", std::string("2"), 0}});
    ops.push_back({opcode::check, CheckVersionRequest{"/m", 1}});
    const Outcome o = f.run(opcode::multi, ops);
    const auto& results = std::get<std::vector<MultiResult>>(o.reply->body);
    REQUIRE(results.size() == 4);
    CHECK(results[0].type == opcode::create);
    CHECK_FALSE(results[0].stat);
    CHECK(results[2].type == opcode::setData);
    REQUIRE(results[2].stat);
    CHECK(results[2].stat->persisted.version == 1);
    const auto& subs = *std::get<zab::MultiTxn>(o.txn->body).ops;
    CHECK(std::get<zab::CheckVersionTxn>(subs[3].body).version == 2);  // logged as current + 1
    CHECK(f.tree.find("/m/c") != nullptr);
}

TEST_CASE("digest ACLs: addauth grants, getACL without ADMIN masks the ids") {
    Fixture f;
    const Outcome c = f.run(opcode::create, CreateRequest{"/s", std::string("secret"),
                                                          std::vector<zab::Acl>{{1, "digest", "user:smGaoVKd/cQkjm7b88GyorAUz20="},
                                                                                {1, "world", "anyone"}},
                                                          0, -1});
    REQUIRE(c.reply->err == code::ok);
    const Outcome acl = f.run(opcode::getACL, PathRequest{"/s"});
    const auto& list = std::get<std::pair<std::vector<zab::Acl>, Stat>>(acl.reply->body).first;
    CHECK(list[0].id == "user:x");
    f.run(opcode::create, CreateRequest{"/p", std::string(), std::vector<zab::Acl>{{31, "digest", "user:smGaoVKd/cQkjm7b88GyorAUz20="}}, 0, -1});
    CHECK(f.run(opcode::getData, PathWatchRequest{"/p", false}).reply->err == code::no_auth);
    CHECK(f.run(opcode::auth, AuthPacket{0, "digest", std::string("user:pass")}).reply->err == code::ok);
    CHECK(f.run(opcode::getData, PathWatchRequest{"/p", false}).reply->err == code::ok);
    CHECK(f.run(opcode::create, CreateRequest{"/q", std::string(), std::vector<zab::Acl>{{31, "auth", ""}}, 0, -1}).reply->err == code::ok);
    CHECK(f.tree.acl_list(f.tree.find("/q")->acl)[0].id == "user:smGaoVKd/cQkjm7b88GyorAUz20=");
    const Outcome bad = f.run(opcode::auth, AuthPacket{0, "kerberos", std::string("x")});
    CHECK(bad.reply->err == code::auth_failed);
    CHECK(bad.close_connection);
}

TEST_CASE("closing a session logs its ephemerals and removes them") {
    Fixture f;
    f.create("/e1", 1);
    f.create("/p");
    f.create("/p/e2", 1);
    const Outcome o = f.run(opcode::closeSession, EmptyRequest{});
    REQUIRE(o.txn);
    const auto& paths = *std::get<zab::CloseSessionTxn>(o.txn->body).paths_to_delete;
    REQUIRE(paths);
    CHECK(paths->size() == 2);
    CHECK(f.tree.find("/e1") == nullptr);
    CHECK(f.tree.find("/p/e2") == nullptr);
    CHECK(f.tree.find("/p") != nullptr);
    CHECK(o.close_connection);
}

TEST_CASE("sessions expire on tick boundaries and their ephemerals go") {
    Fixture f;
    f.create("/e", 1);
    CHECK(f.proc.expire_sessions(f.now + 1000).empty());
    const auto expired = f.proc.expire_sessions(f.now + 40000);
    REQUIRE(expired.size() == 1);
    CHECK(f.tree.find("/e") != nullptr);  // prepared, not yet committed
    f.commit(expired[0]);
    CHECK(expired[0].txn->header.type == zab::op::closeSession);
    CHECK(expired[0].txn->header.cxid == 0);
    CHECK(f.tree.find("/e") == nullptr);
}

TEST_CASE("session ids and passwords are ZooKeeper's") {
    Fixture f;
    CHECK((static_cast<std::uint64_t>(f.session->id) >> 56) == 1);  // standalone: server id 1
    CHECK((f.session->id & 0xffff) == 0);
    // java.util.Random(id ^ 0xB3415C00).nextBytes(16), printed by Java 17.
    auto hex = [](const std::string& s) {
        std::string o;
        for (unsigned char c : s) o += fmt::format("{:02x}", c);
        return o;
    };
    CHECK(hex(session_password(0x1000010f9950000)) == "217672e69a23df456750f73f730e2075");
    CHECK(hex(session_password(1)) == "054cc74a37327db215e702e20c73f005");
    CHECK(f.proc.negotiate_timeout(1000) == 4000);
    CHECK(f.proc.negotiate_timeout(100000) == 40000);
}

TEST_CASE("every logged txn's digest is the tree's after applying it") {
    Fixture f;
    zab::DataTree replay;
    auto check = [&](const Outcome& o) {
        if (!o.txn) return;
        replay.apply(*o.txn);
        if (o.txn->digest) CHECK(o.txn->digest->tree_digest == replay.digest());
    };
    check(f.create("/a"));
    check(f.create("/a/b", 2));
    check(f.run(opcode::setData, SetDataRequest{"/a", std::string("z"), -1}));
    check(f.run(opcode::setACL, SetAclRequest{"/a", std::vector<zab::Acl>{{1, "world", "anyone"}}, -1}));
    check(f.run(opcode::delete_, DeleteRequest{"/a/b0000000000", -1}));
    check(f.create("/c", 4, opcode::createContainer));
    for (const auto& o : f.proc.expire_containers(f.now + 1)) check(f.commit(o));
}

TEST_CASE("wire: a reply frame has the length, the header and the body") {
    Reply r{7, 0x10, 0, std::string("/a")};
    const std::string frame = encode_reply(r);
    REQUIRE(frame.size() == 4 + 16 + 4 + 2);
    CHECK(load_be32(reinterpret_cast<const std::uint8_t*>(frame.data())) == frame.size() - 4);
    Reply err{7, 0x10, code::no_node, std::string("/a")};
    CHECK(encode_reply(err).size() == 4 + 16);  // no body on an error
}

TEST_CASE("wire: a request decodes, and a truncated one is refused") {
    std::string p;
    zab::JuteWriter w(p);
    w.i32(5);
    w.i32(opcode::setData);
    w.string("/a");
    w.buffer(std::string("xy"));
    w.i32(3);
    const Request r = decode_request(as_bytes(p), 1 << 20);
    CHECK(r.xid == 5);
    const auto& s = std::get<SetDataRequest>(r.body);
    CHECK(s.path == "/a");
    CHECK(*s.data == "xy");
    CHECK(s.version == 3);
    CHECK_THROWS_AS(decode_request(as_bytes(p.substr(0, p.size() - 2)), 1 << 20), FormatError);
    std::string huge;
    zab::JuteWriter hw(huge);
    hw.i32(1);
    hw.i32(opcode::getData);
    hw.i32(0x7fffffff);  // a path length no packet can hold
    CHECK_THROWS_AS(decode_request(as_bytes(huge), 1 << 20), FormatError);
}

TEST_CASE("watches fire once, as ZooKeeper's WatchManager fires them") {
    WatchManager w;
    auto txn = [](std::int32_t type, zab::TxnBody body) {
        zab::Txn t;
        t.header.type = type;
        t.body = std::move(body);
        return t;
    };
    w.add_data_watch("/a", 1);       // getData /a
    w.add_child_watch("/a", 1);      // getChildren /a
    w.add_data_watch("/a/new", 2);   // exists /a/new
    w.add_child_watch("/", 3);       // getChildren /
    auto ev = w.fire(txn(zab::op::create, zab::CreateTxn{"/a/new", std::string(), std::nullopt, false, 1, false}));
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].watcher == 2);
    CHECK(ev[0].type == event::node_created);
    CHECK(ev[1].watcher == 1);
    CHECK(ev[1].type == event::node_children_changed);
    CHECK(w.fire(txn(zab::op::create, zab::CreateTxn{"/a/x", std::string(), std::nullopt, false, 2, false})).empty());
    // Deleting /a: one DELETED for watcher 1 (data and child watch), CHILD for the root's watcher.
    ev = w.fire(txn(zab::op::delete_, zab::DeleteTxn{"/a"}));
    REQUIRE(ev.size() == 2);
    CHECK(ev[0].type == event::node_deleted);
    CHECK(ev[1].watcher == 3);
    CHECK(ev[1].path == "/");
    // A failed multi fires nothing.
    w.add_data_watch("/b", 4);
    zab::MultiTxn m;
    m.ops.emplace();
    m.ops->push_back({zab::op::setData, std::string(), zab::SetDataTxn{"/b", std::string(), 1}, {}});
    m.ops->push_back({zab::op::error, std::string(), zab::ErrorTxn{code::bad_version}, {}});
    CHECK(w.fire(txn(zab::op::multi, m)).empty());
    w.remove_watcher(4);
    CHECK(w.watch_count() == 0);
}
