// Four-letter-word replies, byte for byte as Apache ZooKeeper 3.8.0 sends
// them (checked against a real 3.8.0 server: tests/fixtures/zk/4lw/, made by
// scripts/make-4lw-fixtures).  ZooKeeper prints with Java's PrintWriter, so
// every println is a bare "\n", numbers are Java's Long/Double toString and
// hex ids are Long.toHexString (unsigned, lower case).
#include "node/monitor.h"

#include "libformat/common/java_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <iterator>

namespace zabra::node {

namespace {

constexpr std::string_view not_serving_line =
    "This ZooKeeper instance is not currently serving requests\n";

// Every word FourLetterCommands knows in 3.8 (its "telnet close" pseudo
// command is not a word and is left out).
constexpr std::array<std::string_view, 18> known_words = {
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk",
    "srst", "srvr", "stat", "wchc", "wchp", "wchs", "mntr", "isro", "hash",
};

// ZooKeeper's AvgMinMaxCounter.getAvg rounds to 4 decimals, half up, on the
// exact binary value (BigDecimal), before printing.  fmt also rounds the exact
// value but sends ties to even, and ties do occur (9/32 = 0.28125 is exact):
// at a tie value * 20000 is exactly an odd integer, so step just past it first.
double round_to_4_decimals(double value) {
    const double scaled = value * 625.0;
    const bool scaled_exactly = std::fma(value, 625.0, -scaled) == 0;
    const double units = scaled * 32.0;  // value * 20000, exact if scaled was
    if (scaled_exactly && std::isfinite(units) && units == std::trunc(units) && std::fmod(units, 2.0) != 0)
        value = std::nextafter(value, value > 0 ? HUGE_VAL : -HUGE_VAL);
    const std::string fixed = fmt::format("{:.4f}", value);
    double rounded = value;
    std::from_chars(fixed.data(), fixed.data() + fixed.size(), rounded);
    return rounded;
}

std::string average(double value) { return java::double_text(round_to_4_decimals(value)); }

// ServerCnxn.dumpConnectionInfo.  `brief` (stat) stops after the packet
// counts; the full form (cons) adds the session fields once there is a session.
void append_connection(std::string& out, const ConnectionView& c, bool brief) {
    auto it = std::back_inserter(out);
    // Interest ops print as hex, a bare "0" while the connection is busy (the probe itself).
    const std::string interest = c.interest_ops == 0 ? "0" : fmt::format("{:x}", c.interest_ops);
    fmt::format_to(it, " {}[{}](queued={},recved={},sent={}", c.remote, interest, c.queued, c.received, c.sent);
    if (!brief && c.session.value_or(0) != 0) {
        fmt::format_to(it, ",sid=0x{},lop={},est={},to={}", java::hex(*c.session), c.last_op, c.established_ms,
                       c.timeout_ms);
        if (c.last_cxid >= 0) fmt::format_to(it, ",lcxid=0x{}", java::hex(c.last_cxid));
        // A connection's average latency is a long (integer division) in ZooKeeper.
        fmt::format_to(it, ",lzxid=0x{},lresp={},llat={},minlat={},avglat={},maxlat={}", java::hex(c.last_zxid),
                       c.last_response_ms, c.last_latency_ms, c.min_latency_ms,
                       static_cast<std::int64_t>(c.avg_latency_ms), c.max_latency_ms);
    }
    out += ')';
}

// srvr, and stat (which adds the client list and uses the same stats body).
std::string server_stats(const MonitorView& view, bool with_clients) {
    std::string out;
    auto it = std::back_inserter(out);
    fmt::format_to(it, "Zookeeper version: {}\n", view.version);
    if (view.read_only) out += "READ-ONLY mode; serving only read-only clients\n";
    if (with_clients) {
        out += "Clients:\n";
        for (const auto& c : view.connections) {
            append_connection(out, c, true);
            out += '\n';
        }
        out += '\n';
    }
    fmt::format_to(it, "Latency min/avg/max: {}/{}/{}\n", view.min_latency_ms, average(view.avg_latency_ms),
                   view.max_latency_ms);
    fmt::format_to(it, "Received: {}\nSent: {}\nConnections: {}\nOutstanding: {}\n", view.packets_received,
                   view.packets_sent, view.connections.size(), view.outstanding_requests);
    fmt::format_to(it, "Zxid: 0x{}\nMode: {}\nNode count: {}\n", java::hex(view.zxid), view.state, view.node_count);
    if (view.leader) {
        fmt::format_to(it, "Proposal sizes last/min/max: {}/{}/{}\n", view.leader->last_proposal_size,
                       view.leader->min_proposal_size, view.leader->max_proposal_size);
    }
    return out;
}

// mntr: version and state first, then the gauges in the order a 3.8.0
// standalone server sends them (its metrics live in hash maps; this is the
// order observed, not a documented one), then the fsync summary.  Only keys
// the view has real values for; ZooKeeper's ~470 other metrics are left out.
std::string monitor(const MonitorView& view) {
    std::string out;
    auto line = [&out](std::string_view key, const auto& value) {
        fmt::format_to(std::back_inserter(out), "zk_{}\t{}\n", key, value);
    };
    line("version", view.version);
    line("server_state", view.state);
    line("ephemerals_count", view.ephemerals_count);
    line("num_alive_connections", view.connections.size());
    line("avg_latency", average(view.avg_latency_ms));
    line("outstanding_requests", view.outstanding_requests);
    line("znode_count", view.node_count);
    line("global_sessions", view.global_sessions);
    line("packets_sent", view.packets_sent);
    line("packets_received", view.packets_received);
    line("watch_count", view.watch_count);
    line("min_latency", view.min_latency_ms);
    line("max_file_descriptor_count", view.max_file_descriptor_count);
    line("approximate_data_size", view.approximate_data_size);
    line("open_file_descriptor_count", view.open_file_descriptor_count);
    line("local_sessions", 0);  // zabra has no local sessions
    line("uptime", view.uptime_ms);
    line("max_latency", view.max_latency_ms);
    line("avg_fsynctime", average(view.fsync_avg_ms));
    line("min_fsynctime", view.fsync_min_ms);
    line("max_fsynctime", view.fsync_max_ms);
    line("cnt_fsynctime", view.fsync_count);
    line("sum_fsynctime", view.fsync_sum_ms);
    if (!view.peer_state.empty()) line("peer_state", view.peer_state);
    if (const auto& l = view.leader) {
        line("learners", l->learners);
        line("synced_followers", l->synced_followers);
        line("synced_non_voting_followers", 0);
        line("synced_observers", 0);
        line("pending_syncs", l->pending_syncs);
        line("leader_uptime", l->uptime_ms);
        line("last_proposal_size", l->last_proposal_size);
        line("min_proposal_size", l->min_proposal_size);
        line("max_proposal_size", l->max_proposal_size);
    }
    return out;
}

std::string connections(const MonitorView& view) {
    std::string out;
    for (const auto& c : view.connections) {
        append_connection(out, c, false);
        out += '\n';
    }
    out += '\n';
    return out;
}

// A standalone server's conf ends with a newline after "serverId=0"; the
// unterminated last line ("version=N") belongs to a quorum member's membership block.
std::string configuration(const MonitorView& view) {
    std::string out;
    for (const auto& [key, value] : view.conf)
        fmt::format_to(std::back_inserter(out), "{}={}\n", key, value);
    return out;
}

bool whitelisted(std::string_view word, const std::set<std::string>& whitelist) {
    // ZooKeeper always enables srvr, whatever the setting (zkServer.sh needs it).
    return word == "srvr" || whitelist.contains("*") || whitelist.contains(std::string(word));
}

}  // namespace

bool is_four_letter_word(std::string_view word) {
    return std::find(known_words.begin(), known_words.end(), word) != known_words.end();
}

std::string four_letter_response(std::string_view word, const MonitorView& view,
                                 const std::set<std::string>& whitelist) {
    // ZooKeeper answers an unknown word by closing the connection without a reply.
    if (!is_four_letter_word(word)) return {};
    if (!whitelisted(word, whitelist))
        return fmt::format("{} is not executed because it is not in the whitelist.\n", word);

    // ruok and isro answer even when not serving, and without a newline.
    if (word == "ruok") return "imok";
    if (word == "isro") return !view.serving ? "null" : view.read_only ? "ro" : "rw";
    if (!view.serving) return std::string(not_serving_line);

    if (word == "srvr") return server_stats(view, false);
    if (word == "stat") return server_stats(view, true);
    if (word == "mntr") return monitor(view);
    if (word == "conf") return configuration(view);
    if (word == "cons") return connections(view);
    if (word == "dirs")
        return fmt::format("datadir_size: {}\nlogdir_size: {}\n", view.datadir_size, view.logdir_size);
    if (word == "wchs")
        return fmt::format("{} connections watching {} paths\nTotal watches:{}\n", view.watching_connections,
                           view.watched_paths, view.data_watch_count);
    // Known but not implemented by zabra (envi, dump, wchc, wchp, crst, srst,
    // gtmk, stmk, hash): an empty reply, as for a word ZooKeeper does not know.
    return {};
}

}  // namespace zabra::node
