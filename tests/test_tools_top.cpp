// zabra top's model, without a terminal: replies as real ZooKeeper 3.8 sends
// them (doc/four-letter-words.md), failure kinds, lag in the same epoch only, quorum
// health and leader changes; and the collector against a closed port and a
// server that never answers.
#include "tools/top/collect.h"
#include "tools/top/draw.h"
#include "tools/top/model.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace zabra::tools::top;

namespace {

std::string srvr(const std::string& mode, const std::string& zxid) {
    return "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
           "Latency min/avg/max: 0/1.9256/11\nReceived: 528\nSent: 617\nConnections: 2\nOutstanding: 0\n"
           "Zxid: " + zxid + "\nMode: " + mode + "\nNode count: 551\n";
}

PollResult ok(const std::string& server, const std::string& mode, const std::string& zxid, double at,
              const std::string& mntr = "") {
    PollResult r;
    r.server = server;
    r.srvr = srvr(mode, zxid);
    r.mntr = mntr;
    r.at = at;
    return r;
}

PollResult down(const std::string& server, Reach reach, double at) {
    PollResult r;
    r.server = server;
    r.reach = reach;
    r.at = at;
    return r;
}

// Three servers, a:1 leading, all at `zxid`, sampled at `at`.
Ensemble steady_three(const std::string& zxid, double at) {
    Ensemble e({"a:1", "b:1", "c:1"});
    e.update(parse_poll(ok("a:1", "leader", zxid, at)));
    e.update(parse_poll(ok("b:1", "follower", zxid, at)));
    e.update(parse_poll(ok("c:1", "follower", zxid, at)));
    e.settle(at);
    return e;
}

}  // namespace

TEST_CASE("top: a real srvr and mntr reply parse into role, zxid and counters") {
    const Sample s = parse_poll(ok("a:1", "leader", "0x40000015e", 1,
                                   "zk_server_state\tleader\nzk_watch_count\t7\nzk_approximate_data_size\t6922\n"
                                   "zk_avg_fsynctime\t0.2\nzk_quorum_size\t3\nzk_synced_followers\t2\n"
                                   "zk_peer_state\tleading - broadcast\nzk_unknown_key\tx\n"));
    CHECK(s.state == "leader");
    CHECK(s.zxid == 0x40000015eull);
    CHECK(s.lat_avg == doctest::Approx(1.9256));
    CHECK(s.lat_max == 11);
    CHECK(s.znodes == 551);
    CHECK(s.connections == 2);
    CHECK(s.watches == 7);
    CHECK(s.data_size == 6922);
    CHECK(s.fsync_avg_ms == doctest::Approx(0.2));
    CHECK(s.quorum_size == 3);
    CHECK(s.peer_state == "leading - broadcast");
}

TEST_CASE("top: ZooKeeper's refusals are told apart from each other and from a hung or closed server") {
    PollResult r = ok("a:1", "leader", "0x1", 1);
    r.srvr = "This ZooKeeper instance is not currently serving requests\n";
    CHECK(parse_poll(r).state == "not-serving");
    r.srvr = "srvr is not executed because it is not in the whitelist.\n";
    CHECK(parse_poll(r).state == "not-whitelisted");
    CHECK(parse_poll(down("b:1", Reach::Timeout, 1)).state == "timeout");
    CHECK(parse_poll(down("b:1", Reach::Refused, 1)).state == "refused");
    r.srvr = "garbage";
    CHECK(parse_poll(r).state == "error");
}

TEST_CASE("top: lag counts only within the leader's epoch, an older epoch is 'epoch behind'") {
    Ensemble e({"a:1", "b:1", "c:1"});
    e.update(parse_poll(ok("a:1", "leader", "0x400000100", 10)));
    e.update(parse_poll(ok("b:1", "follower", "0x4000000f0", 10)));
    e.update(parse_poll(ok("c:1", "follower", "0x300000999", 10)));
    e.settle(10.5);
    CHECK(e.rows().at("b:1").lag == 16);
    CHECK_FALSE(e.rows().at("c:1").lag);
    CHECK(e.rows().at("c:1").epoch_behind);
    CHECK(e.rows().at("a:1").age == doctest::Approx(0.5));
    CHECK(e.has_quorum());
    CHECK(e.health_line().find("3 voters serving of 2 needed, can lose 1 more") != std::string::npos);
}

TEST_CASE("top: a leader change is recorded once, and a lost quorum is said") {
    Ensemble e = steady_three("0x100000005", 1);
    CHECK(e.leader_changes().empty());
    e.update(parse_poll(down("a:1", Reach::Refused, 2)));
    e.update(parse_poll(ok("b:1", "leader", "0x200000000", 2)));
    e.update(parse_poll(ok("c:1", "follower", "0x100000005", 2)));
    e.settle(2);
    REQUIRE(e.leader_changes().size() == 1);
    CHECK(e.leader_changes()[0].from == "a:1");
    CHECK(e.leader_changes()[0].to == "b:1");
    CHECK(e.leader_changes()[0].epoch == 2);
    CHECK(e.rows().at("c:1").epoch_behind);  // idle since the election: not a lag of billions
    e.settle(3);
    CHECK(e.leader_changes().size() == 1);
    e.update(parse_poll(down("c:1", Reach::Timeout, 4)));
    e.settle(4);
    CHECK_FALSE(e.has_quorum());
    CHECK(e.health_line().rfind("NO QUORUM", 0) == 0);
}

TEST_CASE("top: a failover seen with an election in between is one leader change, and a silent server's age grows") {
    Ensemble e = steady_three("0x100000005", 1);
    // The election: nobody leads for a poll or two.
    PollResult looking = ok("b:1", "follower", "0x1", 2);
    looking.srvr = "This ZooKeeper instance is not currently serving requests\n";
    e.update(parse_poll(down("a:1", Reach::Timeout, 2)));
    e.update(parse_poll(looking));
    e.settle(2);
    CHECK(e.leader_changes().empty());
    CHECK_FALSE(e.leader());
    e.update(parse_poll(down("a:1", Reach::Timeout, 3)));
    e.update(parse_poll(ok("b:1", "leader", "0x200000000", 3)));
    e.settle(3);
    REQUIRE(e.leader_changes().size() == 1);
    CHECK(e.leader_changes()[0].from == "a:1");
    CHECK(e.leader_changes()[0].to == "b:1");
    CHECK(e.rows().at("a:1").age == doctest::Approx(2));  // last answered at 1
    CHECK(e.rows().at("b:1").age == doctest::Approx(0));
}

TEST_CASE("top: the txn rate comes from zxid counters between samples") {
    Ensemble e({"a:1"});
    e.update(parse_poll(ok("a:1", "standalone", "0x100000010", 10)));
    e.update(parse_poll(ok("a:1", "standalone", "0x100000030", 12)));
    e.settle(12);
    REQUIRE(e.rows().at("a:1").txn_rate);
    CHECK(*e.rows().at("a:1").txn_rate == doctest::Approx(16));
    Dashboard d(e, 1);
    const auto lines = d.render_rows(160);
    REQUIRE(lines.size() == 2);
    CHECK(lines[1].find("1:48") != std::string::npos);  // epoch:counter
}

TEST_CASE("top: servers given as host:port lists and in a zoo.cfg") {
    const auto t = parse_targets("zk1:2181,zk2,[::1]:2182");
    REQUIRE(t.size() == 3);
    CHECK(t[1].port == 2181);
    CHECK(t[1].name == "zk2:2181");
    CHECK(t[2].host == "::1");
    CHECK(t[2].port == 2182);
    CHECK_THROWS(parse_targets("zk1:99999"));
    CHECK_THROWS(parse_targets(""));
}

namespace {

// A TCP socket bound to a free port of 127.0.0.1; listening or not (then a
// connect to it is refused).
int loopback_socket(bool listening, int& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    if (listening) REQUIRE(::listen(fd, 16) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

}  // namespace

TEST_CASE("top: one poll answers a closed port as refused and a silent one as timeout, within the deadline") {
    int silent_port = 0, closed_port = 0;
    const int silent = loopback_socket(true, silent_port);  // accepts, never answers
    const int closed = loopback_socket(false, closed_port);
    const auto targets = parse_targets(fmt::format("127.0.0.1:{},127.0.0.1:{}", silent_port, closed_port));
    const double t0 = now_seconds();
    const auto got = poll_all(targets, 0.3, true);
    CHECK(now_seconds() - t0 < 1.0);  // the deadline holds, whatever the silent server does
    REQUIRE(got.size() == 2);
    CHECK(got[0].reach == Reach::Timeout);
    CHECK(got[1].reach == Reach::Refused);
    ::close(silent);
    ::close(closed);
}

namespace {

// A server on 127.0.0.1 that answers every connection with `reply` (after
// reading what the client sends), until `n` connections were served.
struct FakeServer {
    int fd = -1;
    int port = 0;
    std::thread thread;
    FakeServer(std::string reply, int n) {
        fd = loopback_socket(true, port);
        thread = std::thread([this, reply, n] {
            for (int i = 0; i < n; ++i) {
                const int c = ::accept(fd, nullptr, nullptr);
                if (c < 0) return;
                char buf[512];
                ::recv(c, buf, sizeof buf, 0);
                ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
                ::close(c);
            }
        });
    }
    ~FakeServer() {
        thread.join();
        ::close(fd);
    }
};

}  // namespace

TEST_CASE("top: where srvr is not whitelisted, the AdminServer's server_stats JSON is read instead") {
    const std::string json =
        R"({"version":"3.8.0-x","read_only":false,"server_stats":{"packets_sent":10,"packets_received":9,)"
        R"("last_processed_zxid":17179869188,"outstanding_requests":0,"server_state":"follower","avg_latency":1.5,)"
        R"("max_latency":7,"min_latency":0,"num_alive_client_connections":3},"node_count":209,"command":"server_stats","error":null})";
    FakeServer zk("srvr is not executed because it is not in the whitelist.\n", 2);  // srvr and mntr
    FakeServer admin("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + json, 1);
    const auto got = poll_all(parse_targets(fmt::format("127.0.0.1:{}", zk.port)), 2.0, true, admin.port);
    REQUIRE(got.size() == 1);
    const Sample s = parse_poll(got[0]);
    CHECK(s.state == "follower");
    CHECK(s.zxid == 0x400000004ull);
    CHECK(s.znodes == 209);
    CHECK(s.connections == 3);
    CHECK(s.lat_avg == doctest::Approx(1.5));
    CHECK(s.error.find("AdminServer") != std::string::npos);
    CHECK(srvr_from_admin_json("HTTP/1.1 500 Oops\r\n\r\n<html>").empty());
}
