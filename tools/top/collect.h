// zabra top's collector: asks every server for srvr (and mntr) at once,
// over non-blocking sockets in one poll(2) loop with a deadline, so a hung
// server costs its own timeout and never delays the others.
#pragma once

#include "tools/top/model.h"

#include <string>
#include <vector>

namespace zabra::tools::top {

struct Target {
    std::string name;  // "host:port" as given
    std::string host;
    int port = 2181;
};

// "host:port,host:port" (port 2181 when left out). Throws std::invalid_argument.
std::vector<Target> parse_targets(const std::string& list);
// The servers of a zoo.cfg: server.N=host:quorum:election[:role][;[clientAddr:]clientPort], with
// clientPort as the default client port.
std::vector<Target> targets_from_config(const std::string& path);

double now_seconds();  // steady clock

// Polls every target once: srvr, and mntr on a second connection when
// `want_mntr`; returns when all are done or `timeout_s` has passed. Where
// srvr is not whitelisted and `admin_port` is set, the AdminServer's
// /commands/server_stats is asked instead (the whitelist does not cover it).
std::vector<PollResult> poll_all(const std::vector<Target>& targets, double timeout_s, bool want_mntr,
                                 int admin_port = 8080);

// An AdminServer server_stats HTTP reply in srvr's words; empty if it is not one.
std::string srvr_from_admin_json(const std::string& http_reply);

}  // namespace zabra::tools::top
