#include "tools/top/collect.h"

#include "libformat/common/json_reader.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace zabra::tools::top {

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<Target> parse_targets(const std::string& list) {
    std::vector<Target> out;
    std::size_t at = 0;
    while (at <= list.size()) {
        const std::size_t comma = list.find(',', at);
        std::string item = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        at = comma == std::string::npos ? list.size() + 1 : comma + 1;
        if (item.empty()) continue;
        Target t;
        const std::size_t colon = item.rfind(':');
        const bool has_port = colon != std::string::npos && item.find(']', colon) == std::string::npos &&
                              (item.front() == '[' || item.find(':') == colon);
        t.host = has_port ? item.substr(0, colon) : item;
        if (has_port) {
            const std::string port = item.substr(colon + 1);
            if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
                std::stoi(port) <= 0 || std::stoi(port) > 65535) {
                throw std::invalid_argument("bad port in " + item);
            }
            t.port = std::stoi(port);
        }
        if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
        t.name = has_port ? item : item + ":2181";
        out.push_back(t);
    }
    if (out.empty()) throw std::invalid_argument("no servers given");
    return out;
}

std::vector<Target> targets_from_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::invalid_argument("cannot read " + path);
    int client_port = 2181;
    std::string client_address;
    std::vector<std::pair<std::string, std::string>> servers;  // host, ";..." part
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "clientPort") client_port = std::stoi(value);
        if (key == "clientPortAddress") client_address = value;
        if (key.rfind("server.", 0) == 0) {
            const auto semi = value.find(';');
            servers.push_back({value.substr(0, value.find(':')), semi == std::string::npos ? "" : value.substr(semi + 1)});
        }
    }
    std::vector<Target> out;
    for (const auto& [host, client] : servers) {
        Target t;
        t.host = host;
        t.port = client_port;
        if (!client.empty()) {
            const auto colon = client.rfind(':');
            t.port = std::stoi(colon == std::string::npos ? client : client.substr(colon + 1));
            if (colon != std::string::npos && client.substr(0, colon) != "0.0.0.0") t.host = client.substr(0, colon);
        }
        t.name = fmt::format("{}:{}", t.host, t.port);
        out.push_back(t);
    }
    if (out.empty()) {  // a standalone config
        Target t;
        t.host = client_address.empty() ? "127.0.0.1" : client_address;
        t.port = client_port;
        t.name = fmt::format("{}:{}", t.host, t.port);
        out.push_back(t);
    }
    return out;
}

namespace {

struct Conn {
    std::size_t target = 0;
    std::string word;     // "srvr", "mntr", or "http" (the AdminServer)
    std::string request;  // bytes to send
    int port = 0;
    int fd = -1;
    bool connected = false;
    bool sent = false;
    bool done = false;
    std::string reply;
    Reach reach = Reach::Ok;
    std::string error;
};

bool resolve(const Target& t, int port, sockaddr_storage& addr, socklen_t& len) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(t.host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || res == nullptr) return false;
    std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    ::freeaddrinfo(res);
    return true;
}

void start(Conn& c, const Target& t) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (!resolve(t, c.port, addr, len)) {
        c.done = true;
        c.reach = Reach::Error;
        c.error = "cannot resolve " + t.host;
        return;
    }
    c.fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        c.done = true;
        c.reach = Reach::Error;
        c.error = std::strerror(errno);
        return;
    }
    if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), len) == 0) {
        c.connected = true;
    } else if (errno != EINPROGRESS) {
        c.reach = errno == ECONNREFUSED ? Reach::Refused : Reach::Error;
        c.error = std::strerror(errno);
        ::close(c.fd);
        c.fd = -1;
        c.done = true;
    }
}

void finish(Conn& c) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.done = true;
}


// Runs every connection to its end or to the deadline.
void run(std::vector<Conn>& conns, const std::vector<Target>& targets, double deadline) {
    for (auto& c : conns) start(c, targets[c.target]);
    std::vector<pollfd> fds;
    std::vector<std::size_t> which;
    for (;;) {
        fds.clear();
        which.clear();
        for (std::size_t i = 0; i < conns.size(); ++i) {
            Conn& c = conns[i];
            if (c.done) continue;
            fds.push_back({c.fd, static_cast<short>(c.connected && c.sent ? POLLIN : POLLOUT), 0});
            which.push_back(i);
        }
        if (fds.empty()) break;
        const double left = deadline - now_seconds();
        if (left <= 0) break;
        const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left * 1000) + 1);
        if (n < 0 && errno != EINTR) break;
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if (fds[k].revents == 0) continue;
            Conn& c = conns[which[k]];
            if (!c.connected) {
                int err = 0;
                socklen_t l = sizeof err;
                ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err != 0) {
                    c.reach = err == ECONNREFUSED ? Reach::Refused : Reach::Error;
                    c.error = std::strerror(err);
                    finish(c);
                    continue;
                }
                c.connected = true;
            }
            if (!c.sent) {
                // The request, then a half-close: the server answers and closes.
                const auto want = static_cast<ssize_t>(c.request.size());
                if (::send(c.fd, c.request.data(), c.request.size(), MSG_NOSIGNAL) != want) {
                    c.reach = Reach::Error;
                    c.error = std::strerror(errno);
                    finish(c);
                    continue;
                }
                ::shutdown(c.fd, SHUT_WR);
                c.sent = true;
                continue;
            }
            char buf[16384];
            const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
            if (got > 0) {
                c.reply.append(buf, static_cast<std::size_t>(got));
                if (c.reply.size() > (1 << 20)) {  // no reply is this long
                    c.reach = Reach::Error;
                    c.error = "reply over 1 MiB";
                    finish(c);
                }
            } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
                if (got < 0) {
                    c.reach = Reach::Error;
                    c.error = std::strerror(errno);
                }
                finish(c);
            }
        }
    }
    for (auto& c : conns) {
        if (!c.done) {
            c.reach = Reach::Timeout;
            finish(c);
        }
    }
}

}  // namespace

std::string srvr_from_admin_json(const std::string& http) {
    const auto body = http.find("\r\n\r\n");
    if (http.rfind("HTTP/", 0) != 0 || body == std::string::npos) return {};
    try {
        const JsonValue v = parse_json(std::string_view(http).substr(body + 4));
        const JsonValue* st = v.get("server_stats");
        if (!st || !st->object()) return {};
        auto num = [](const JsonValue* o, const char* k) -> std::string {
            const JsonValue* x = o ? o->get(k) : nullptr;
            return x && x->number() ? x->number()->text : std::string();
        };
        const JsonValue* state = st->get("server_state");
        const std::string zxid = num(st, "last_processed_zxid");
        if (!state || !state->string() || zxid.empty()) return {};
        // In srvr's words, so that one parser reads both.
        return fmt::format("Zookeeper version: {}\nLatency min/avg/max: {}/{}/{}\nOutstanding: {}\nConnections: {}\n"
                           "Zxid: 0x{:x}\nMode: {}\nNode count: {}\n",
                           v.get("version") && v.get("version")->string() ? *v.get("version")->string() : "?",
                           num(st, "min_latency"), num(st, "avg_latency"), num(st, "max_latency"),
                           num(st, "outstanding_requests"), num(st, "num_alive_client_connections"),
                           std::stoull(zxid), *state->string(), num(&v, "node_count"));
    } catch (const std::exception&) {
        return {};
    }
}

std::vector<PollResult> poll_all(const std::vector<Target>& targets, double timeout_s, bool want_mntr, int admin_port) {
    std::vector<Conn> conns;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        Conn c;
        c.target = i;
        c.port = targets[i].port;
        c.word = c.request = "srvr";
        conns.push_back(c);
        if (want_mntr) {
            c.word = c.request = "mntr";
            conns.push_back(c);
        }
    }
    const double deadline = now_seconds() + timeout_s;
    run(conns, targets, deadline);
    const double at = now_seconds();
    std::vector<PollResult> out(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
        out[i].server = targets[i].name;
        out[i].at = at;
    }
    for (auto& c : conns) {
        PollResult& r = out[c.target];
        if (c.reach == Reach::Timeout) c.error = fmt::format("no reply within {:.1f} s", timeout_s);
        if (c.word == "srvr") {
            r.srvr = c.reply;
            r.reach = c.reach;
            r.error = c.error;
            if (c.reach == Reach::Ok && c.reply.empty()) {
                r.reach = Reach::Error;
                r.error = "empty reply (not a ZooKeeper server, or srvr unknown)";
            }
        } else if (c.reach == Reach::Ok) {
            r.mntr = c.reply;
        }
    }
    // Four-letter words not whitelisted: the AdminServer's JSON, which the whitelist does not cover.
    if (admin_port > 0) {
        std::vector<Conn> http;
        for (std::size_t i = 0; i < targets.size(); ++i) {
            if (out[i].reach != Reach::Ok || classify_reply(out[i].srvr) != Reach::NotWhitelisted) continue;
            Conn c;
            c.target = i;
            c.port = admin_port;
            c.word = "http";
            c.request = fmt::format("GET /commands/server_stats HTTP/1.0\r\nHost: {}\r\n\r\n", targets[i].host);
            http.push_back(c);
        }
        if (!http.empty()) {
            run(http, targets, std::max(deadline, now_seconds() + 0.05));
            for (const auto& c : http) {
                const std::string srvr = c.reach == Reach::Ok ? srvr_from_admin_json(c.reply) : std::string();
                if (srvr.empty()) continue;  // stays not-whitelisted
                out[c.target].srvr = srvr;
                out[c.target].mntr.clear();
                out[c.target].error = fmt::format("via the AdminServer on port {} (srvr not whitelisted)", admin_port);
            }
        }
    }
    return out;
}

}  // namespace zabra::tools::top
