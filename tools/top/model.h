// zabra top's model: what each server's four-letter-word replies say, and
// what the ensemble looks like from them (roles, zxids as epoch:counter, lag
// behind the leader, quorum health, leader changes, txn rates). No I/O and
// no terminal: collect.cpp feeds it replies, draw and batch output read it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zabra::tools::top {

// How a poll of one server ended.
enum class Reach { Ok, Refused, NotWhitelisted, NotServing, Timeout, Error };

// One poll's raw result: the srvr and mntr replies (or why there are none).
struct PollResult {
    std::string server;  // "host:port"
    Reach reach = Reach::Ok;
    std::string srvr;    // reply text
    std::string mntr;    // reply text; empty when not allowed or not asked
    std::string error;   // Reach::Error / Refused detail
    double at = 0;       // seconds (steady clock) when the poll finished
};

struct Sample {
    std::string server;
    std::string state;  // "leader", "follower", "observer", "standalone", "read-only", or a Reach name
    std::optional<std::uint64_t> zxid;
    std::optional<double> lat_min, lat_avg, lat_max;
    std::optional<std::uint64_t> outstanding, connections, znodes, watches, data_size, received, sent;
    std::optional<double> fsync_avg_ms;
    std::optional<std::uint64_t> quorum_size, synced_followers;  // leader's mntr
    std::string version, peer_state, error;
    double at = 0;
};

// Parses a PollResult. Unknown mntr keys are ignored; both 3.4/3.5 and 3.6+ names are read.
Sample parse_poll(const PollResult& r);
const char* reach_name(Reach r);  // "ok", "refused", "not-whitelisted", "not-serving", "timeout", "error"
// The reply's kind when it is one of ZooKeeper's refusals.
Reach classify_reply(const std::string& reply);

struct Row {
    Sample sample;
    std::optional<std::int64_t> lag;  // txns behind the leader, same epoch only
    bool epoch_behind = false;        // its epoch is older than the leader's
    double age = 0;                   // seconds since the server last answered (grows while it does not)
    double last_answer = 0;
    std::optional<double> txn_rate;   // txns/s over the last interval
    std::deque<double> rate_history;  // for the sparkline, newest last
};

struct LeaderChange {
    double at = 0;
    std::string from, to;  // servers; empty when there was none
    std::uint64_t epoch = 0;
};

class Ensemble {
public:
    explicit Ensemble(std::vector<std::string> servers) : m_servers(std::move(servers)) {}

    void update(const Sample& s);
    // Recomputes lag, ages and health as of `now`.
    void settle(double now);

    const std::vector<std::string>& servers() const { return m_servers; }
    const std::map<std::string, Row>& rows() const { return m_rows; }
    std::optional<std::string> leader() const;
    const std::vector<LeaderChange>& leader_changes() const { return m_changes; }
    // Voting members answering as leader or follower, and how many a quorum needs.
    std::size_t serving_voters() const;
    std::size_t quorum_needed() const;
    bool has_quorum() const;
    std::string health_line() const;

private:
    std::vector<std::string> m_servers;
    std::map<std::string, Row> m_rows;
    std::vector<LeaderChange> m_changes;
    std::optional<std::string> m_last_leader;
    bool m_seen_leader = false;
};

// Batch output: one JSON array, an object per server in the order given.
std::string rows_json(const Ensemble& e);

}  // namespace zabra::tools::top
