// The election port's codecs (node/quorum/election_wire) against bytes real
// ZooKeeper 3.8 servers sent each other (tests/fixtures/zk-quorum/, captured
// through recording proxies by scripts/make-quorum-fixtures), and against
// what QuorumCnxManager and FastLeaderElection refuse.
#include "helpers.h"
#include "libformat/common/error.h"
#include "node/config.h"
#include "node/quorum/election_wire.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using namespace zabra;
using namespace zabra::node::quorum;

namespace {

fs::path quorum_fixtures() { return test::fixtures() / "zk-quorum"; }

node::NodeConfig server_config(std::int64_t sid) {
    return node::read_config(quorum_fixtures() / fmt::format("zoo{}.cfg", sid));
}

std::map<std::string, std::string> state() { return test::key_values(quorum_fixtures() / "state.txt"); }

std::vector<std::string> frames_of(const std::string& bytes, std::size_t from) {
    std::vector<std::string> out;
    std::size_t pos = from;
    while (pos < bytes.size()) {
        std::size_t used = 0;
        const auto f = next_frame(as_bytes(bytes).subspan(pos), used);
        REQUIRE(f);  // a captured stream ends at a frame's end
        out.push_back(*f);
        pos += used;
    }
    return out;
}

}  // namespace

TEST_CASE("election streams real ZooKeeper servers sent decode, and re-encode to the same bytes") {
    const std::regex name(R"(election(\d+)-(\d+)\.(\d+)\.(up|down))");
    const auto st = state();
    const std::int64_t leader = std::stoll(st.at("leader"));
    int headers = 0, notifications = 0, votes_for_leader = 0;
    for (const auto& e : fs::directory_iterator(quorum_fixtures())) {
        std::smatch m;
        const std::string file = e.path().filename().string();
        if (!std::regex_match(file, m, name)) continue;
        INFO(file);
        const std::int64_t src = std::stoll(m[1]), dst = std::stoll(m[2]);
        const bool up = m[4] == "up";
        const std::string bytes = test::slurp(e.path());
        if (bytes.empty()) continue;  // a connection that closed before its first byte
        std::size_t from = 0;
        if (up) {
            // The initiator's header: its sid and its own election address.
            const node::NodeConfig cfg = server_config(src);
            const zab::ZooCfgServer& self = cfg.servers.at(src);
            const auto h = decode_connection_header(as_bytes(bytes), from);
            REQUIRE(h);
            CHECK(h->sid == src);
            CHECK(h->address == fmt::format("{}:{}", self.host, self.election_port));
            CHECK(encode_connection_header(h->sid, *h->address) == bytes.substr(0, from));
            ++headers;
        }
        const std::int64_t sender = up ? src : dst;
        const std::string config = config_text(server_config(sender).servers);
        for (const std::string& payload : frames_of(bytes, from)) {
            const Notification n = decode_notification(as_bytes(payload));
            CHECK(encode_notification(n) == payload);
            CHECK(frame(payload) == bytes.substr(bytes.find(payload) - 4, payload.size() + 4));
            CHECK(n.version == 2);
            CHECK(n.config == config);  // QuorumMaj.toString of the sender's own server lines
            CHECK(static_cast<int>(n.state) >= 0);
            CHECK(static_cast<int>(n.state) <= 2);
            votes_for_leader += n.leader == leader ? 1 : 0;
            ++notifications;
        }
    }
    MESSAGE(headers, " headers, ", notifications, " notifications");
    CHECK(headers >= 2);
    CHECK(notifications >= 2);
    CHECK(votes_for_leader >= 1);
}

TEST_CASE("a connection header QuorumCnxManager refuses is an error, a partial one waits for more") {
    std::size_t used = 0;
    const std::string good = encode_connection_header(2, "127.0.0.1:3888");
    for (std::size_t n = 0; n < good.size(); ++n) {
        CHECK_FALSE(decode_connection_header(as_bytes(good.substr(0, n)), used));
    }
    std::string legacy;
    append_be64(legacy, 5);  // before 3.5: the sid alone
    const auto old = decode_connection_header(as_bytes(legacy), used);
    REQUIRE(old);
    CHECK(old->sid == 5);
    CHECK_FALSE(old->address);
    CHECK(used == 8);

    auto header = [](std::int64_t protocol, const std::string& address, std::int32_t len) {
        std::string h;
        append_be64(h, static_cast<std::uint64_t>(protocol));
        append_be64(h, 1);
        append_be32(h, static_cast<std::uint32_t>(len));
        return h + address;
    };
    CHECK_THROWS_AS(decode_connection_header(as_bytes(header(-7, "h:1", 3)), used), FormatError);
    CHECK_THROWS_AS(decode_connection_header(as_bytes(header(kProtocolV1, "", 0)), used), FormatError);
    CHECK_THROWS_AS(decode_connection_header(as_bytes(header(kProtocolV1, "", 2049)), used), FormatError);
    CHECK_THROWS_AS(decode_connection_header(as_bytes(header(kProtocolV1, "nohost", 6)), used), FormatError);
    CHECK_THROWS_AS(decode_connection_header(as_bytes(header(kProtocolV1, "h:port", 6)), used), FormatError);
    CHECK_THROWS_AS(decode_connection_header(as_bytes(header(kProtocolV1, "h:70000", 7)), used), FormatError);
    const auto v2 = decode_connection_header(as_bytes(header(kProtocolV2, "a:1|[::1]:2", 11)), used);
    REQUIRE(v2);
    CHECK(v2->v2);
}

TEST_CASE("notifications: the older forms are read, and a frame FastLeaderElection drops is an error") {
    Notification n;
    n.state = PeerState::Following;
    n.leader = 3;
    n.zxid = 0x200000007;
    n.election_epoch = 4;
    n.peer_epoch = 2;
    n.config = "server.1=h:1:2:participant\nversion=0";
    const std::string full = encode_notification(n);
    const Notification back = decode_notification(as_bytes(full));
    CHECK(back.state == PeerState::Following);
    CHECK(back.config == n.config);

    const Notification v28 = decode_notification(as_bytes(full.substr(0, 28)));
    CHECK(v28.peer_epoch == 2);  // the epoch of the zxid
    CHECK(v28.config.empty());
    const Notification v40 = decode_notification(as_bytes(full.substr(0, 40)));
    CHECK(v40.peer_epoch == 2);
    CHECK(v40.version == 0);

    std::string v1 = full.substr(0, 36);
    append_be32(v1, 1);  // version 1: no config follows
    CHECK(decode_notification(as_bytes(v1)).config.empty());

    CHECK_THROWS_AS(decode_notification(as_bytes(full.substr(0, 27))), FormatError);
    std::string bad = full.substr(0, 40);
    append_be32(bad, 0xffffffffu);  // a negative config length
    CHECK_THROWS_AS(decode_notification(as_bytes(bad)), FormatError);

    std::size_t used = 0;
    std::string zero;
    append_be32(zero, 0);
    CHECK_THROWS_AS(next_frame(as_bytes(zero), used), FormatError);
    std::string huge;
    append_be32(huge, kMaxElectionFrame + 1);
    CHECK_THROWS_AS(next_frame(as_bytes(huge), used), FormatError);
    CHECK_FALSE(next_frame(as_bytes(frame("abc").substr(0, 6)), used));
}

