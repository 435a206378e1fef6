// node/monitor: four-letter-word replies against what a real ZooKeeper 3.8.0
// sent (tests/fixtures/zk/4lw/, captured by scripts/make-4lw-fixtures).
//
// Deterministic replies are compared byte for byte with a view built from
// state.txt.  For srvr, stat, cons and mntr, the values that change from run
// to run (latency, packet counts, ports, uptime, timestamps) are read from the
// captured reply into the view, and the whole formatted reply must then match
// the captured one: that checks keys, order, separators and number formats.
#include "node/monitor.h"

#include "helpers.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

using zabra::node::ConnectionView;
using zabra::node::four_letter_response;
using zabra::node::is_four_letter_word;
using zabra::node::MonitorView;

namespace {

const std::set<std::string> all_words{"*"};
const std::set<std::string> default_whitelist{"srvr"};
const std::vector<std::string> implemented_words{"ruok", "srvr", "stat", "mntr", "conf",
                                                 "cons", "dirs", "wchs", "isro"};

std::string fixture(const std::string& name) {
    return zabra::test::slurp(zabra::test::fixtures() / "zk" / "4lw" / name);
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// state.txt: key=value lines written by the capture script.
std::map<std::string, std::string> captured_state() {
    std::map<std::string, std::string> state;
    for (const auto& line : split_lines(fixture("state.txt"))) {
        if (line.empty() || line[0] == '#') continue;
        const auto eq = line.find('=');
        if (eq != std::string::npos) state[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return state;
}

std::uint64_t number(const std::map<std::string, std::string>& state, const std::string& key) {
    const auto it = state.find(key);
    REQUIRE_MESSAGE(it != state.end(), "state.txt lacks " << key);
    return std::stoull(it->second);
}

std::int64_t hex_number(const std::string& text) { return static_cast<std::int64_t>(std::stoull(text, nullptr, 16)); }

// What the capturing server held, as far as state.txt records it.
MonitorView captured_view() {
    const auto state = captured_state();
    MonitorView view;
    view.version = state.at("version");
    view.node_count = number(state, "znode_count");
    view.watch_count = number(state, "watch_count");
    view.watched_paths = number(state, "data_watched_paths");
    view.watching_connections = number(state, "watching_connections");
    view.data_watch_count = number(state, "data_watches");
    view.ephemerals_count = number(state, "ephemerals_count");
    view.approximate_data_size = number(state, "approximate_data_size");
    view.global_sessions = number(state, "global_sessions");
    view.outstanding_requests = number(state, "outstanding_requests");
    view.datadir_size = number(state, "datadir_size");
    view.logdir_size = number(state, "logdir_size");
    // ZooKeeper's defaults for a zoo.cfg that sets only tickTime, dataDir and clientPort.
    const auto dir_size = state.at("datadir_size");
    view.conf = {{"clientPort", state.at("client_port")},
                 {"secureClientPort", "-1"},
                 {"dataDir", state.at("data_dir")},
                 {"dataDirSize", dir_size},
                 {"dataLogDir", state.at("data_dir")},
                 {"dataLogSize", state.at("logdir_size")},
                 {"tickTime", "2000"},
                 {"maxClientCnxns", "60"},
                 {"minSessionTimeout", "4000"},
                 {"maxSessionTimeout", "40000"},
                 {"clientPortListenBacklog", "-1"},
                 {"serverId", "0"}};
    return view;
}

// One line of cons (full) or of stat's client list (brief), read back.
ConnectionView parse_connection(const std::string& line) {
    static const std::regex form(
        R"(^ (\S+)\[([0-9a-f]+)\]\(queued=(\d+),recved=(\d+),sent=(\d+))"
        R"((?:,sid=0x([0-9a-f]+),lop=(\w+),est=(\d+),to=(\d+)(?:,lcxid=0x([0-9a-f]+))?,lzxid=0x([0-9a-f]+),)"
        R"(lresp=(\d+),llat=(\d+),minlat=(\d+),avglat=(\d+),maxlat=(\d+))?\)$)");
    std::smatch m;
    REQUIRE_MESSAGE(std::regex_match(line, m, form), "not a connection line: " << line);
    ConnectionView c;
    c.remote = m[1];
    c.interest_ops = static_cast<int>(hex_number(m[2]));
    c.queued = std::stoull(m[3]);
    c.received = std::stoull(m[4]);
    c.sent = std::stoull(m[5]);
    if (m[6].matched) {
        c.session = hex_number(m[6]);
        c.last_op = m[7];
        c.established_ms = std::stoll(m[8]);
        c.timeout_ms = std::stoi(m[9]);
        if (m[10].matched) c.last_cxid = hex_number(m[10]);
        c.last_zxid = hex_number(m[11]);
        c.last_response_ms = std::stoll(m[12]);
        c.last_latency_ms = std::stoll(m[13]);
        c.min_latency_ms = std::stoll(m[14]);
        c.avg_latency_ms = std::stod(m[15]);
        c.max_latency_ms = std::stoll(m[16]);
    }
    return c;
}

// The run-to-run values of a srvr or stat reply, put into `view`.
void read_server_stats(const std::string& reply, MonitorView& view) {
    view.read_only = false;
    view.connections.clear();
    bool in_clients = false;
    std::size_t connection_count = 0;
    for (const auto& line : split_lines(reply)) {
        if (line == "Clients:") { in_clients = true; continue; }
        if (in_clients) {
            if (line.empty()) in_clients = false;
            else view.connections.push_back(parse_connection(line));
            continue;
        }
        if (line.starts_with("READ-ONLY mode")) view.read_only = true;
        const auto colon = line.find(": ");
        if (colon == std::string::npos) continue;
        const auto key = line.substr(0, colon), value = line.substr(colon + 2);
        if (key == "Latency min/avg/max") {
            const auto a = value.find('/'), b = value.rfind('/');
            view.min_latency_ms = std::stoll(value.substr(0, a));
            view.avg_latency_ms = std::stod(value.substr(a + 1, b - a - 1));
            view.max_latency_ms = std::stoll(value.substr(b + 1));
        } else if (key == "Received") view.packets_received = std::stoull(value);
        else if (key == "Sent") view.packets_sent = std::stoull(value);
        else if (key == "Connections") connection_count = std::stoull(value);
        else if (key == "Outstanding") view.outstanding_requests = std::stoull(value);
        else if (key == "Zxid") view.zxid = hex_number(value.substr(2));
        else if (key == "Mode") view.state = value;
        else if (key == "Node count") view.node_count = std::stoull(value);
        else if (key == "Zookeeper version") view.version = value;
    }
    // srvr only counts connections; stat lists them.
    if (view.connections.empty()) view.connections.resize(connection_count);
    REQUIRE(view.connections.size() == connection_count);
}

std::map<std::string, std::string> mntr_values(const std::string& reply) {
    std::map<std::string, std::string> values;
    for (const auto& line : split_lines(reply)) {
        const auto tab = line.find('\t');
        if (tab != std::string::npos) values[line.substr(0, tab)] = line.substr(tab + 1);
    }
    return values;
}

std::string srvr_with_avg_latency(double avg) {
    MonitorView view;
    view.avg_latency_ms = avg;
    for (const auto& line : split_lines(four_letter_response("srvr", view, all_words)))
        if (line.starts_with("Latency min/avg/max: ")) return line.substr(21);
    return "?";
}

}  // namespace

TEST_CASE("4lw ruok answers imok without a newline, even when not serving") {
    MonitorView view = captured_view();
    CHECK(four_letter_response("ruok", view, all_words) == fixture("ruok.txt"));
    view.serving = false;
    CHECK(four_letter_response("ruok", view, all_words) == fixture("not-serving/ruok.txt"));
    CHECK(fixture("ruok.txt") == "imok");
}

TEST_CASE("4lw isro answers rw, ro when read-only, and null when not serving, without a newline") {
    MonitorView view = captured_view();
    CHECK(four_letter_response("isro", view, all_words) == fixture("isro.txt"));
    view.read_only = true;
    CHECK(four_letter_response("isro", view, all_words) == fixture("read-only/isro.txt"));
    view.serving = false;
    CHECK(four_letter_response("isro", view, all_words) == fixture("not-serving/isro.txt"));
    CHECK(fixture("not-serving/isro.txt") == "null");
}

TEST_CASE("4lw words outside the whitelist get ZooKeeper's refusal line, but srvr is always allowed") {
    const MonitorView view = captured_view();
    for (const auto& word : implemented_words) {
        if (word == "srvr") continue;
        CAPTURE(word);
        CHECK(four_letter_response(word, view, default_whitelist) == fixture("default-whitelist/" + word + ".txt"));
        CHECK(four_letter_response(word, view, {}) == fixture("default-whitelist/" + word + ".txt"));
    }
    CHECK(four_letter_response("envi", view, {}) == "envi is not executed because it is not in the whitelist.\n");
    CHECK(four_letter_response("srvr", view, {}).starts_with("Zookeeper version: "));
    CHECK(four_letter_response("mntr", view, {"mntr"}).starts_with("zk_version\t"));
}

TEST_CASE("4lw a server that is not serving answers every word but ruok and isro with one fixed line") {
    MonitorView view = captured_view();
    view.serving = false;
    for (const auto& word : implemented_words) {
        CAPTURE(word);
        CHECK(four_letter_response(word, view, all_words) == fixture("not-serving/" + word + ".txt"));
    }
    // Whitelisting is checked first.
    CHECK(four_letter_response("stat", view, default_whitelist) == fixture("default-whitelist/stat.txt"));
}

TEST_CASE("4lw conf prints the standalone settings as key=value lines, the last one ending in a newline") {
    const MonitorView view = captured_view();
    CHECK(four_letter_response("conf", view, all_words) == fixture("conf.txt"));
}

TEST_CASE("4lw dirs prints the data and log dir sizes") {
    const MonitorView view = captured_view();
    CHECK(four_letter_response("dirs", view, all_words) == fixture("dirs.txt"));
}

TEST_CASE("4lw wchs summarises data watches only, ending with a newline") {
    const MonitorView view = captured_view();
    CHECK(four_letter_response("wchs", view, all_words) == fixture("wchs.txt"));
    // mntr's watch count also has the child watch; wchs does not.
    CHECK(view.watch_count == view.data_watch_count + number(captured_state(), "child_watches"));
}

TEST_CASE("4lw srvr matches ZooKeeper line for line: standalone, fresh, and read-only") {
    for (const std::string name : {"srvr.txt", "default-whitelist/srvr.txt", "read-only/srvr.txt"}) {
        CAPTURE(name);
        const std::string real = fixture(name);
        MonitorView view = captured_view();
        read_server_stats(real, view);
        CHECK(four_letter_response("srvr", view, default_whitelist) == real);
    }
    // The node count is what state.txt recorded, not just read back.
    MonitorView view = captured_view();
    const auto node_count = view.node_count;
    read_server_stats(fixture("srvr.txt"), view);
    CHECK(view.node_count == node_count);
}

TEST_CASE("4lw stat lists the clients briefly between the version line and the stats") {
    for (const std::string name : {"stat.txt", "read-only/stat.txt"}) {
        CAPTURE(name);
        const std::string real = fixture(name);
        MonitorView view = captured_view();
        read_server_stats(real, view);
        // stat shows no session fields, so give the connections some: they must not appear.
        for (auto& c : view.connections) c.session = 0x1234;
        CHECK(four_letter_response("stat", view, all_words) == real);
    }
}

TEST_CASE("4lw cons prints one full line per connection, then a blank line") {
    const std::string real = fixture("cons.txt");
    MonitorView view = captured_view();
    for (const auto& line : split_lines(real))
        if (!line.empty()) view.connections.push_back(parse_connection(line));
    REQUIRE(view.connections.size() == 2);
    CHECK(four_letter_response("cons", view, all_words) == real);

    const auto state = captured_state();
    bool found_client = false;
    for (const auto& c : view.connections) {
        if (!c.session) continue;
        found_client = true;
        CHECK(*c.session == hex_number(state.at("client_session").substr(2)));
        CHECK(c.timeout_ms == std::stoi(state.at("client_timeout")));
    }
    CHECK(found_client);

    SUBCASE("fields ZooKeeper prints in hex or leaves out") {
        MonitorView synthetic;
        ConnectionView c;
        c.remote = "/127.0.0.1:40000";
        c.interest_ops = 5;
        c.session = 0x100000000000abcLL;
        c.last_op = "NA";
        c.last_cxid = -1;  // none yet: lcxid is left out
        c.last_zxid = -1;  // Long.toHexString(-1)
        c.avg_latency_ms = 2.75;  // a per-connection average is an integer division
        synthetic.connections = {c};
        ConnectionView busy;
        busy.remote = "/127.0.0.1:40001";
        busy.interest_ops = 0x10;
        synthetic.connections.push_back(busy);
        CHECK(four_letter_response("cons", synthetic, all_words) ==
              " /127.0.0.1:40000[5](queued=0,recved=0,sent=0,sid=0x100000000000abc,lop=NA,est=0,to=0,"
              "lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=2,maxlat=0)\n"
              " /127.0.0.1:40001[10](queued=0,recved=0,sent=0)\n\n");
    }
}

TEST_CASE("4lw mntr keys, order and value formats match ZooKeeper 3.8") {
    const std::string real = fixture("mntr.txt");
    const auto real_lines = split_lines(real);
    const auto values = mntr_values(real);

    MonitorView view = captured_view();
    read_server_stats(fixture("srvr.txt"), view);  // state, zxid; the rest comes from mntr below
    auto integer = [&](const std::string& key) { return std::stoll(values.at(key)); };
    view.version = values.at("zk_version");
    view.min_latency_ms = integer("zk_min_latency");
    view.avg_latency_ms = std::stod(values.at("zk_avg_latency"));
    view.max_latency_ms = integer("zk_max_latency");
    view.packets_received = integer("zk_packets_received");
    view.packets_sent = integer("zk_packets_sent");
    view.connections.resize(integer("zk_num_alive_connections"));
    view.open_file_descriptor_count = integer("zk_open_file_descriptor_count");
    view.max_file_descriptor_count = integer("zk_max_file_descriptor_count");
    view.uptime_ms = integer("zk_uptime");
    view.fsync_count = integer("zk_cnt_fsynctime");
    view.fsync_sum_ms = integer("zk_sum_fsynctime");
    view.fsync_min_ms = integer("zk_min_fsynctime");
    view.fsync_max_ms = integer("zk_max_fsynctime");
    // Fed the unrounded mean, as the server's loop would: the 4-decimal rounding is the formatter's.
    view.fsync_avg_ms = static_cast<double>(view.fsync_sum_ms) / static_cast<double>(view.fsync_count);

    const auto ours = split_lines(four_letter_response("mntr", view, all_words));
    const std::string ours_text = four_letter_response("mntr", view, all_words);
    REQUIRE(ours_text.ends_with("\n"));

    // Every line ours sends is, byte for byte, a line the real server sent, in the same relative order.
    std::size_t real_index = 0;
    for (const auto& line : ours) {
        CAPTURE(line);
        const auto from = real_lines.begin() + static_cast<std::ptrdiff_t>(real_index);
        const auto it = std::find(from, real_lines.end(), line);
        CHECK(it != real_lines.end());
        if (it != real_lines.end()) real_index = static_cast<std::size_t>(it - real_lines.begin()) + 1;
    }
    CHECK(ours.front() == "zk_version\t" + values.at("zk_version"));
    CHECK(ours[1] == "zk_server_state\tstandalone");

    // The keys a monitor needs are all there, and the ones state.txt records agree with it.
    const auto our_values = mntr_values(ours_text);
    for (const std::string key :
         {"zk_version", "zk_server_state", "zk_avg_latency", "zk_max_latency", "zk_min_latency",
          "zk_packets_received", "zk_packets_sent", "zk_num_alive_connections", "zk_outstanding_requests",
          "zk_znode_count", "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size",
          "zk_open_file_descriptor_count", "zk_max_file_descriptor_count", "zk_uptime", "zk_global_sessions",
          "zk_local_sessions", "zk_avg_fsynctime", "zk_min_fsynctime", "zk_max_fsynctime", "zk_cnt_fsynctime",
          "zk_sum_fsynctime"}) {
        CAPTURE(key);
        CHECK(our_values.contains(key));
    }
    const auto state = captured_state();
    for (const std::string key :
         {"znode_count", "watch_count", "ephemerals_count", "approximate_data_size", "global_sessions"})
        CHECK(values.at("zk_" + key) == state.at(key));
}

TEST_CASE("4lw average latencies print as ZooKeeper does: 4 decimals half up, then Java's Double.toString") {
    // Expected strings from Java 17 (BigDecimal.setScale(4, HALF_UP), Double.toString).
    CHECK(srvr_with_avg_latency(0) == "0/0.0/0");
    CHECK(srvr_with_avg_latency(4) == "0/4.0/0");
    CHECK(srvr_with_avg_latency(2.2) == "0/2.2/0");
    CHECK(srvr_with_avg_latency(8.0 / 7) == "0/1.1429/0");
    CHECK(srvr_with_avg_latency(2.0 / 3) == "0/0.6667/0");
    CHECK(srvr_with_avg_latency(9.0 / 32) == "0/0.2813/0");  // an exact tie rounds up
    CHECK(srvr_with_avg_latency(15.0 / 1000) == "0/0.015/0");
    CHECK(srvr_with_avg_latency(1.0 / 1000) == "0/0.001/0");
    CHECK(srvr_with_avg_latency(1.0 / 5000) == "0/2.0E-4/0");  // below 1e-3 Java switches to E notation
    CHECK(srvr_with_avg_latency(123456789012.0 / 10) == "0/1.23456789012E10/0");
}

TEST_CASE("4lw words: all of ZooKeeper 3.8's are known, others get no reply, unimplemented ones an empty one") {
    for (const char* word : {"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr",
                             "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash"})
        CHECK(is_four_letter_word(word));
    CHECK_FALSE(is_four_letter_word("xyzw"));
    CHECK_FALSE(is_four_letter_word("SRVR"));
    CHECK_FALSE(is_four_letter_word("srv"));
    const MonitorView view = captured_view();
    CHECK(four_letter_response("xyzw", view, all_words).empty());
    CHECK(four_letter_response("envi", view, all_words).empty());
}

TEST_CASE("4lw a leader's srvr ends with its proposal sizes, its mntr has the leader's gauges and the peer state") {
    MonitorView view = captured_view();
    view.state = "leader";
    view.peer_state = "leading - broadcast";
    view.leader = MonitorView::Leader{2, 2, 1, 5000, 48, 36, 120};
    const std::string srvr = four_letter_response("srvr", view, {"*"});
    // StatCommand: "Node count" then, on a leader, the proposal BufferStats.
    CHECK(srvr.find("Mode: leader\nNode count: ") != std::string::npos);
    CHECK(srvr.ends_with("\nProposal sizes last/min/max: 48/36/120\n"));
    const std::string mntr = four_letter_response("mntr", view, {"*"});
    for (const char* line : {"zk_server_state\tleader\n", "zk_peer_state\tleading - broadcast\n", "zk_learners\t2\n",
                             "zk_synced_followers\t2\n", "zk_pending_syncs\t1\n", "zk_leader_uptime\t5000\n",
                             "zk_last_proposal_size\t48\n", "zk_min_proposal_size\t36\n", "zk_max_proposal_size\t120\n"}) {
        CAPTURE(line);
        CHECK(mntr.find(line) != std::string::npos);
    }
    view.leader.reset();
    view.state = "follower";
    CHECK(four_letter_response("srvr", view, {"*"}).find("Proposal sizes") == std::string::npos);
    CHECK(four_letter_response("mntr", view, {"*"}).find("zk_learners") == std::string::npos);
}
