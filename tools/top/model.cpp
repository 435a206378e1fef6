#include "tools/top/model.h"

#include "tools/common/format_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace zabra::tools::top {

namespace {

std::optional<std::uint64_t> to_u64(std::string_view s, int base = 10) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    if (base == 16 && (s.starts_with("0x") || s.starts_with("0X"))) s.remove_prefix(2);
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc() || p == s.data()) return std::nullopt;
    return v;
}

std::optional<double> to_double(std::string_view s) {
    try {
        std::size_t used = 0;
        const double d = std::stod(std::string(s), &used);
        return used && std::isfinite(d) ? std::optional<double>(d) : std::nullopt;  // JSON has no nan
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && s[i] == ' ') ++i;
    return s.substr(i);
}

}  // namespace

const char* reach_name(Reach r) {
    switch (r) {
    case Reach::Ok: return "ok";
    case Reach::Refused: return "refused";
    case Reach::NotWhitelisted: return "not-whitelisted";
    case Reach::NotServing: return "not-serving";
    case Reach::Timeout: return "timeout";
    case Reach::Error: return "error";
    }
    return "?";
}

Reach classify_reply(const std::string& reply) {
    if (reply.find("is not executed because it is not in the whitelist") != std::string::npos) return Reach::NotWhitelisted;
    if (reply.find("not currently serving requests") != std::string::npos) return Reach::NotServing;
    return Reach::Ok;
}

Sample parse_poll(const PollResult& r) {
    Sample s;
    s.server = r.server;
    s.at = r.at;
    s.error = r.error;
    Reach reach = r.reach;
    if (reach == Reach::Ok) reach = classify_reply(r.srvr);
    if (reach != Reach::Ok) {
        s.state = reach_name(reach);
        return s;
    }
    std::istringstream in(r.srvr);
    for (std::string line; std::getline(in, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        const std::string key = line.substr(0, colon);
        const std::string value = trim(line.substr(colon + 1));
        if (key == "Zookeeper version") s.version = value;
        else if (key == "Zxid") s.zxid = to_u64(value, 16);
        else if (key == "Mode") s.state = value;
        else if (key == "Outstanding") s.outstanding = to_u64(value);
        else if (key == "Connections") s.connections = to_u64(value);
        else if (key == "Node count") s.znodes = to_u64(value);
        else if (key == "Received") s.received = to_u64(value);
        else if (key == "Sent") s.sent = to_u64(value);
        else if (key == "Latency min/avg/max") {
            const auto a = value.find('/'), b = value.rfind('/');
            if (a != std::string::npos && b != a) {
                s.lat_min = to_double(value.substr(0, a));
                s.lat_avg = to_double(value.substr(a + 1, b - a - 1));
                s.lat_max = to_double(value.substr(b + 1));
            }
        }
    }
    if (s.state.empty()) {
        s.state = "error";
        s.error = "srvr reply without a Mode line";
        return s;
    }
    // mntr: key<TAB>value, in no particular order, names of 3.4 to 3.9.
    std::istringstream m(classify_reply(r.mntr) == Reach::Ok ? r.mntr : std::string());
    for (std::string line; std::getline(m, line);) {
        const auto tab = line.find('\t');
        if (tab == std::string::npos) continue;
        const std::string key = line.substr(0, tab), value = trim(line.substr(tab + 1));
        if (key == "zk_watch_count") s.watches = to_u64(value);
        else if (key == "zk_approximate_data_size") s.data_size = to_u64(value);
        else if (key == "zk_avg_fsynctime") s.fsync_avg_ms = to_double(value);
        else if (key == "zk_quorum_size") s.quorum_size = to_u64(value);
        else if (key == "zk_synced_followers") s.synced_followers = to_u64(value);
        else if (key == "zk_peer_state") s.peer_state = value;
        else if (key == "zk_num_alive_connections" && !s.connections) s.connections = to_u64(value);
    }
    return s;
}

void Ensemble::update(const Sample& s) {
    Row& row = m_rows[s.server];
    const bool answered = s.zxid.has_value() || s.state == "not-serving" || s.state == "not-whitelisted";
    if (answered || row.last_answer == 0) row.last_answer = s.at;
    if (row.sample.zxid && s.zxid && s.at > row.sample.at) {
        const std::uint64_t a = *row.sample.zxid, b = *s.zxid;
        // Within an epoch the counter counts txns; across epochs only the new epoch's counter is known.
        const double txns = (a >> 32) == (b >> 32) ? static_cast<double>((b & 0xffffffffu) - std::min(b & 0xffffffffu, a & 0xffffffffu))
                                                   : static_cast<double>(b & 0xffffffffu);
        row.txn_rate = txns / (s.at - row.sample.at);
        row.rate_history.push_back(*row.txn_rate);
        while (row.rate_history.size() > 60) row.rate_history.pop_front();
    }
    row.sample = s;
}

std::optional<std::string> Ensemble::leader() const {
    for (const auto& name : m_servers) {
        const auto it = m_rows.find(name);
        if (it != m_rows.end() && it->second.sample.state == "leader") return name;
    }
    return std::nullopt;
}

void Ensemble::settle(double now) {
    const auto lead = leader();
    std::optional<std::uint64_t> lz;
    if (lead) lz = m_rows.at(*lead).sample.zxid;
    for (auto& [name, row] : m_rows) {
        row.age = now - row.last_answer;
        row.lag.reset();
        row.epoch_behind = false;
        if (!lz || !row.sample.zxid || (row.sample.state != "follower" && row.sample.state != "observer")) continue;
        const std::uint64_t z = *row.sample.zxid;
        if ((z >> 32) == (*lz >> 32)) {
            row.lag = static_cast<std::int64_t>(*lz & 0xffffffffu) - static_cast<std::int64_t>(z & 0xffffffffu);
        } else if ((z >> 32) < (*lz >> 32)) {
            row.epoch_behind = true;
        }
    }
    // A change is a different leader appearing. Polls in between that see
    // none (an election, a leader that timed out once) are not changes.
    if (lead && lead != m_last_leader) {
        if (m_seen_leader) {
            LeaderChange c;
            c.at = now;
            c.from = m_last_leader.value_or("");
            c.to = *lead;
            c.epoch = lz ? (*lz >> 32) : 0;
            m_changes.push_back(c);
        }
        m_last_leader = lead;
        m_seen_leader = true;
    }
}

std::size_t Ensemble::serving_voters() const {
    std::size_t n = 0;
    for (const auto& [name, row] : m_rows) n += row.sample.state == "leader" || row.sample.state == "follower";
    return n;
}

std::size_t Ensemble::quorum_needed() const {
    const auto lead = leader();
    std::size_t voters = m_servers.size();
    if (lead && m_rows.at(*lead).sample.quorum_size) voters = *m_rows.at(*lead).sample.quorum_size;
    return voters / 2 + 1;
}

bool Ensemble::has_quorum() const {
    for (const auto& [name, row] : m_rows) {
        if (row.sample.state == "standalone") return true;
    }
    return leader().has_value() && serving_voters() >= quorum_needed();
}

std::string Ensemble::health_line() const {
    std::size_t standalone = 0;
    for (const auto& [name, row] : m_rows) standalone += row.sample.state == "standalone";
    if (standalone > 0) {
        return fmt::format("{} standalone server{} serving (no quorum to keep){}", standalone, standalone == 1 ? "" : "s",
                           standalone < m_servers.size() ? fmt::format("; {} of {} given not serving",
                                                                       m_servers.size() - standalone, m_servers.size())
                                                         : "");
    }
    const auto lead = leader();
    if (!lead) return fmt::format("NO LEADER: {} of {} servers serving", serving_voters(), m_servers.size());
    const std::size_t serving = serving_voters(), need = quorum_needed();
    if (serving < need) return fmt::format("NO QUORUM: {} voters serving, {} needed", serving, need);
    return fmt::format("quorum ok: leader {}, {} voters serving of {} needed, can lose {} more", *lead, serving, need,
                       serving - need);
}

std::string rows_json(const Ensemble& e) {
    std::string out = "[";
    bool first = true;
    for (const auto& name : e.servers()) {
        const auto it = e.rows().find(name);
        if (it == e.rows().end()) continue;
        const Row& r = it->second;
        const Sample& s = r.sample;
        auto num = [](const auto& v) { return v ? fmt::format("{}", *v) : std::string("null"); };
        out += fmt::format(
            "{}{{\"server\":{},\"state\":{},\"zxid\":{},\"epoch\":{},\"counter\":{},\"lag\":{},\"epoch_behind\":{},"
            "\"latency_min\":{},\"latency_avg\":{},\"latency_max\":{},\"outstanding\":{},\"connections\":{},"
            "\"znodes\":{},\"watches\":{},\"data_size\":{},\"fsync_avg_ms\":{},\"txn_rate\":{},\"age\":{:.3f},"
            "\"leader_changes\":{},\"error\":{}}}",
            first ? "" : ",", json_string(name), json_string(s.state),
            s.zxid ? fmt::format("\"0x{:x}\"", *s.zxid) : "null", s.zxid ? std::to_string(*s.zxid >> 32) : "null",
            s.zxid ? std::to_string(*s.zxid & 0xffffffffu) : "null", num(r.lag), r.epoch_behind ? "true" : "false",
            num(s.lat_min), num(s.lat_avg), num(s.lat_max), num(s.outstanding), num(s.connections), num(s.znodes),
            num(s.watches), num(s.data_size), num(s.fsync_avg_ms), num(r.txn_rate), r.age, e.leader_changes().size(),
            s.error.empty() ? "null" : json_string(s.error));
        first = false;
    }
    return out + "]";
}

}  // namespace zabra::tools::top
