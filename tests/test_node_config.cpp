// zoo.cfg's ensemble lines and zabra-node's standalone-or-ensemble decision.
// The messages and decisions are ZooKeeper 3.8's: tests/peers/checks/
// node_config_vs_zk.py compares them with a real QuorumPeerMain; these cases
// pin the parsing details it does not reach.
#include "helpers.h"
#include "libformat/common/java_text.h"
#include "libformat/zab/zoo_cfg.h"
#include "node/config.h"

#include <doctest/doctest.h>

#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;
using namespace zabra;

namespace {

std::string refusal(const std::string& key, const std::string& value) {
    try {
        zab::parse_zoo_cfg_server(key, value);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

node::NodeConfig config_in(const test::TempDir& tmp, const std::vector<std::pair<std::string, std::string>>& keys,
                           const char* myid) {
    node::NodeConfig c;
    c.data_dir = tmp.path();
    c.data_log_dir = tmp.path();
    for (const auto& [k, v] : keys) node::apply_setting(c, k, v);
    if (myid != nullptr) std::ofstream(tmp.path() / "myid") << myid;
    return c;
}

std::string finish_refusal(node::NodeConfig& c) {
    try {
        node::finish_config(c, [](const std::string&) {});
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("server.N lines: host, ports, type and client part, as QuorumServer reads them") {
    const zab::ZooCfgServer a = zab::parse_zoo_cfg_server("server.7", "10.0.0.1:2888:3888");
    CHECK(a.sid == 7);
    CHECK(a.host == "10.0.0.1");
    CHECK(a.quorum_port == 2888);
    CHECK(a.election_port == 3888);
    CHECK_FALSE(a.observer);
    CHECK_FALSE(a.client_port);

    const zab::ZooCfgServer b = zab::parse_zoo_cfg_server("server.2", "[::1]:2888:3888: Observer ;2181");
    CHECK(b.host == "::1");
    CHECK(b.observer);  // the type is trimmed and compared without case
    CHECK(b.client_port == 2181);
    CHECK_FALSE(b.client_host);  // a port alone: ZooKeeper binds 0.0.0.0

    const zab::ZooCfgServer c = zab::parse_zoo_cfg_server("server.3", "h:1:2:participant;127.0.0.2:2182");
    CHECK(c.client_host == "127.0.0.2");
    CHECK(c.client_port == 2182);

    // Java's split drops trailing empty parts: "h:1:2:" has three parts.
    CHECK(zab::parse_zoo_cfg_server("server.4", "h:1:2:").election_port == 2);
}

TEST_CASE("server.N lines ZooKeeper refuses are refused with its words") {
    CHECK(refusal("server.1", "h:1").find("does not have the form server_config") != std::string::npos);
    CHECK(refusal("server.1", "h:1:2:3:4") .find("does not have the form") != std::string::npos);
    CHECK(refusal("server.1", "h:1:2;a:b:c").find("does not have the form") != std::string::npos);
    CHECK(refusal("server.1", "h:x:2") == "Address unresolved: h:x");
    CHECK(refusal("server.1", "h:1:65536") == "port out of range:65536");
    CHECK(refusal("server.1", "h:5:5") ==
          "Client and election port must be different! Please update the configuration file on server.1");
    CHECK(refusal("server.9", "h:1:2|g:3:4") ==
          "Multiple address feature is disabled, but multiple addresses were specified for sid 9");
    CHECK(refusal("server.1", "h:1:2:voter") == "Unrecognised peertype: voter");
    CHECK(refusal("server.1", "[::1:1:2").find("has no matching ']'") != std::string::npos);
    CHECK(refusal("server.x", "h:1:2").find("not a server id") != std::string::npos);
}

TEST_CASE("zabra-node runs standalone without server lines or with one, and reads an ensemble's myid") {
    test::TempDir tmp;
    node::NodeConfig none = config_in(tmp, {}, nullptr);
    CHECK(finish_refusal(none).empty());
    CHECK_FALSE(none.ensemble);

    std::vector<std::string> notes;
    node::NodeConfig one = config_in(tmp, {{"server.1", "127.0.0.1:2888:3888"}}, nullptr);
    node::finish_config(one, [&notes](const std::string& s) { notes.push_back(s); });
    CHECK_FALSE(one.ensemble);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0] == "Invalid configuration, only one server specified (ignoring)");

    node::NodeConfig three = config_in(tmp,
                                       {{"server.1", "127.0.0.1:2888:3888;2191"},
                                        {"server.2", "127.0.0.1:2889:3889"},
                                        {"server.3", "127.0.0.1:2890:3890"},
                                        {"initLimit", "5"},
                                        {"syncLimit", "2"}},
                                       "1\n");
    CHECK(finish_refusal(three).empty());
    CHECK(three.ensemble);
    CHECK(three.my_id == 1);
    CHECK(three.init_limit == 5);
    CHECK(three.sync_limit == 2);
    CHECK(three.client_port == 2191);                   // from its server line
    CHECK(three.client_port_address == "127.0.0.1");    // a port alone keeps zabra-node's loopback default
}

TEST_CASE("myid is a decimal number on the first line, with nothing around it") {
    test::TempDir tmp;
    const std::vector<std::pair<std::string, std::string>> keys{
        {"server.1", "h:1:2"}, {"server.2", "h:3:4"}, {"initLimit", "5"}, {"syncLimit", "2"}};
    node::NodeConfig spaced = config_in(tmp, keys, " 1\n");
    CHECK(finish_refusal(spaced) == "serverid  1 is not a number");
    node::NodeConfig second_line = config_in(tmp, keys, "2\n7\n");
    CHECK(finish_refusal(second_line).empty());
    CHECK(second_line.my_id == 2);
}

TEST_CASE("Java's String.split and Long.parseLong, as the config and epoch readers use them") {
    using V = std::vector<std::string>;
    CHECK(java::split("a:b::", ':') == V{"a", "b"});
    CHECK(java::split(":a", ':') == V{"", "a"});
    CHECK(java::split("::", ':').empty());
    CHECK(java::split("", ':') == V{""});
    CHECK(java::parse_long("+42") == 42);
    CHECK(java::parse_long("-7") == -7);
    CHECK_FALSE(java::parse_long(""));
    CHECK_FALSE(java::parse_long("+"));
    CHECK_FALSE(java::parse_long("+-1"));
    CHECK_FALSE(java::parse_long(" 1"));
    CHECK_FALSE(java::parse_long("9223372036854775808"));
}
