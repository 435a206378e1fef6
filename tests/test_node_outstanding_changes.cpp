// Prepare and commit apart: the processor validates against the committed
// tree plus the outstanding changes, each proposal carries the digest of the
// tree after it before any tree holds it, reads see only committed txns, and
// a leader's uncommitted proposals can be dropped (doc/zabra-node-pipeline.md).
#include "node/processor.h"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include <deque>
#include <random>

using namespace zabra;
using namespace zabra::node;

namespace {

const std::vector<zab::Acl> kOpen{{31, "world", "anyone"}};

struct Pipeline {
    zab::DataTree tree;
    Processor proc{tree, ProcessorOptions{2000, -1, -1, true, true, 1, 1000}};
    zab::DataTree replay;       // every prepared txn applied at once: what the digests must match
    std::deque<zab::Txn> queue;  // prepared, not yet committed
    std::int64_t now = 1'700'000'000'000;
    std::int32_t xid = 1;
    int digests_checked = 0;

    void prepared(const Outcome& o) {
        if (!o.txn) return;
        replay.apply(*o.txn);
        if (o.txn->digest) {
            CHECK(o.txn->digest->tree_digest == replay.digest());
            ++digests_checked;
        }
        queue.push_back(*o.txn);
    }
    Session* open_session() {
        Session* s = nullptr;
        prepared(proc.create_session(30000, ++now, s));
        return s;
    }
    Outcome request(Session& s, std::int32_t type, RequestBody body) {
        Outcome o = proc.process(s, Request{xid++, type, std::move(body)}, ++now);
        prepared(o);
        return o;
    }
    void commit(std::size_t n) {
        for (; n > 0 && !queue.empty(); --n) {
            REQUIRE(proc.commit(queue.front()));
            queue.pop_front();
        }
    }
};

}  // namespace

TEST_CASE("prepared writes see each other, reads see only what is committed") {
    Pipeline p;
    Session* s = p.open_session();
    p.commit(1);
    CHECK(p.request(*s, opcode::create, CreateRequest{"/a", std::string("1"), kOpen, 0, -1}).reply->err == code::ok);
    CHECK(p.request(*s, opcode::create, CreateRequest{"/a/b", std::string(), kOpen, 0, -1}).reply->err == code::ok);
    const Outcome set = p.request(*s, opcode::setData, SetDataRequest{"/a", std::string("22"), 0});
    REQUIRE(set.reply->err == code::ok);
    CHECK(std::get<Stat>(set.reply->body).persisted.version == 1);
    CHECK(std::get<Stat>(set.reply->body).num_children == 1);  // as the tree will be after it
    CHECK(p.request(*s, opcode::delete_, DeleteRequest{"/a", -1}).reply->err == code::not_empty);
    CHECK(p.proc.has_uncommitted());
    // Nothing of it is in the tree, and a read does not see it.
    CHECK(p.tree.find("/a") == nullptr);
    const Outcome read = p.proc.process(*s, Request{p.xid++, opcode::getData, PathWatchRequest{"/a", false}}, ++p.now);
    CHECK(read.reply->err == code::no_node);
    CHECK(read.reply->zxid == p.proc.committed_zxid());
    p.commit(1);
    CHECK(p.tree.find("/a") != nullptr);
    CHECK(p.tree.find("/a/b") == nullptr);
    p.commit(10);
    CHECK_FALSE(p.proc.has_uncommitted());
    CHECK(p.tree.digest() == p.replay.digest());
    CHECK(*p.tree.find("/a")->data == "22");
    CHECK(p.digests_checked == 4);  // createSession, three writes; the error txn carries none
}

TEST_CASE("a failed multi leaves the outstanding changes as they were, a passing one adds to them") {
    Pipeline p;
    Session* s = p.open_session();
    p.request(*s, opcode::create, CreateRequest{"/a", std::string(), kOpen, 0, -1});
    MultiOps bad;
    bad.push_back({opcode::create, CreateRequest{"/m", std::string(), kOpen, 0, -1}});
    bad.push_back({opcode::setData, SetDataRequest{"/a", std::string("x"), 7}});
    p.request(*s, opcode::multi, bad);
    CHECK(p.request(*s, opcode::create, CreateRequest{"/m/c", std::string(), kOpen, 0, -1}).reply->err == code::no_node);
    MultiOps good;
    good.push_back({opcode::create, CreateRequest{"/m", std::string(), kOpen, 0, -1}});
    good.push_back({opcode::create, CreateRequest{"/m/c", std::string(), kOpen, 0, -1}});
    p.request(*s, opcode::multi, good);
    CHECK(p.request(*s, opcode::create, CreateRequest{"/m/c", std::string(), kOpen, 0, -1}).reply->err == code::node_exists);
    p.commit(100);
    CHECK(p.tree.find("/m/c") != nullptr);
    CHECK(p.tree.digest() == p.replay.digest());
}

TEST_CASE("closing a session deletes the ephemerals it is about to have, not those already deleted") {
    Pipeline p;
    Session* s = p.open_session();
    p.commit(1);
    p.request(*s, opcode::create, CreateRequest{"/e1", std::string(), kOpen, 1, -1});
    p.commit(1);  // /e1 committed
    p.request(*s, opcode::create, CreateRequest{"/e2", std::string(), kOpen, 1, -1});  // /e2 outstanding
    p.request(*s, opcode::create, CreateRequest{"/e3", std::string(), kOpen, 1, -1});
    p.request(*s, opcode::delete_, DeleteRequest{"/e3", -1});
    const Outcome close = p.request(*s, opcode::closeSession, EmptyRequest{});
    const auto& paths = *std::get<zab::CloseSessionTxn>(close.txn->body).paths_to_delete;
    REQUIRE(paths);
    CHECK(*paths == std::vector<std::string>{"/e1", "/e2"});
    p.commit(100);
    CHECK(p.tree.find("/e1") == nullptr);
    CHECK(p.tree.find("/e2") == nullptr);
    CHECK(p.tree.digest() == p.replay.digest());
}

TEST_CASE("a container is judged as the outstanding changes leave it") {
    Pipeline p;
    Session* s = p.open_session();
    p.request(*s, opcode::createContainer, CreateRequest{"/c", std::string(), kOpen, 4, -1});
    p.request(*s, opcode::create, CreateRequest{"/c/x", std::string(), kOpen, 0, -1});
    p.commit(100);
    p.request(*s, opcode::delete_, DeleteRequest{"/c/x", -1});  // outstanding: /c empty once it commits
    const auto doomed = p.proc.expire_containers(p.now + 1);
    REQUIRE(doomed.size() == 1);
    p.prepared(doomed[0]);
    CHECK(p.proc.expire_containers(p.now + 2).empty());  // already on its way out
    p.commit(100);
    CHECK(p.tree.find("/c") == nullptr);
    CHECK(p.tree.digest() == p.replay.digest());
}

TEST_CASE("dropping the uncommitted proposals returns to the committed tree") {
    Pipeline p;
    Session* s = p.open_session();
    p.request(*s, opcode::create, CreateRequest{"/kept", std::string(), kOpen, 0, -1});
    p.commit(100);
    const std::int64_t committed = p.proc.committed_zxid();
    p.request(*s, opcode::create, CreateRequest{"/lost", std::string(), kOpen, 0, -1});
    p.request(*s, opcode::delete_, DeleteRequest{"/kept", -1});
    p.proc.drop_uncommitted();
    CHECK(p.proc.last_zxid() == committed);
    const Outcome again = p.proc.process(*s, Request{p.xid++, opcode::create, CreateRequest{"/lost", std::string(), kOpen, 0, -1}}, ++p.now);
    CHECK(again.reply->err == code::ok);
    CHECK(again.txn->header.zxid == committed + 1);
    CHECK(p.proc.process(*s, Request{p.xid++, opcode::create, CreateRequest{"/kept", std::string(), kOpen, 0, -1}}, ++p.now)
              .reply->err == code::node_exists);
    REQUIRE(p.proc.commit(*again.txn));  // its digest: the committed tree's plus /lost, nothing of the dropped
    CHECK(p.tree.find("/kept") != nullptr);
}

TEST_CASE("random workloads committed at random lags: every digest right, the tree the one replayed") {
    for (const std::uint32_t seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u}) {
        CAPTURE(seed);
        Pipeline p;
        std::mt19937 rng(seed);
        auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint32_t>(n)); };
        std::vector<std::int64_t> sessions;
        auto path = [&] {
            static const char* const names[] = {"/a", "/b", "/a/x", "/a/y", "/b/z", "/a/x/q", "/c"};
            return std::string(names[pick(7)]);
        };
        auto create = [&](std::int32_t flags) {
            const std::int32_t type = flags == 4 ? opcode::createContainer : pick(2) ? opcode::create2 : opcode::create;
            return Request{0, type, CreateRequest{path(), fmt::format("d{}", pick(100)), kOpen, flags, -1}};
        };
        for (int step = 0; step < 3000; ++step) {
            if (sessions.empty() || pick(40) == 0) sessions.push_back(p.open_session()->id);
            Session* s = p.proc.find_session(sessions[static_cast<std::size_t>(pick(static_cast<int>(sessions.size())))]);
            Request r;
            switch (pick(9)) {
            case 0: r = create(0); break;
            case 1: r = create(1); break;  // ephemeral
            case 2: r = create(2); break;  // sequential
            case 3: r = create(4); break;  // container
            case 4: r = Request{0, opcode::delete_, DeleteRequest{path(), -1}}; break;
            case 5: r = Request{0, opcode::setData, SetDataRequest{path(), fmt::format("v{}", pick(1000)), -1}}; break;
            case 6: r = Request{0, opcode::setACL, SetAclRequest{path(), kOpen, -1}}; break;
            case 7: {
                MultiOps ops;
                for (int k = 0, n = 1 + pick(3); k < n; ++k) {
                    ops.push_back(pick(2) ? MultiOp{opcode::create, CreateRequest{path(), std::string("m"), kOpen, pick(2), -1}}
                                          : MultiOp{opcode::delete_, DeleteRequest{path(), -1}});
                }
                r = Request{0, opcode::multi, std::move(ops)};
                break;
            }
            default:
                if (pick(4) == 0 && s != nullptr) {
                    r = Request{0, opcode::closeSession, EmptyRequest{}};
                    sessions.erase(std::find(sessions.begin(), sessions.end(), s->id));
                } else {
                    r = create(0);
                }
            }
            if (s == nullptr) continue;
            p.request(*s, r.type, r.body);
            if (pick(5) == 0) {
                for (const Outcome& o : p.proc.expire_containers(p.now + 1)) p.prepared(o);
            }
            p.commit(static_cast<std::size_t>(pick(4)));  // lags of up to dozens of txns build up and drain
        }
        p.commit(p.queue.size());
        CHECK(p.tree.digest() == p.replay.digest());
        CHECK(p.tree.nodes().size() == p.replay.nodes().size());
        CHECK(p.digests_checked > 1000);
    }
}
