// TCP for zabra-node's ports: resolving a config's host, listening on
// exactly that address, non-blocking connects. Thin wrappers over the BSD
// socket calls; errors are std::runtime_error naming the address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/socket.h>

namespace zabra::node {

struct TcpAddress {
    sockaddr_storage addr{};
    socklen_t len = 0;
    std::string text;  // host:port as the config names it
};

// The first address `host` resolves to (numeric hosts are not looked up).
TcpAddress resolve_tcp(const std::string& host, std::uint16_t port);

// A non-blocking listening socket bound to `a` only.
int tcp_listen(const TcpAddress& a);

// A non-blocking socket whose connect to `a` has started (or finished);
// completion shows as POLLOUT, then connect_error() says how it went.
int tcp_connect(const TcpAddress& a);
// 0 once connected, else the errno of the failed connect.
int connect_error(int fd);

// Accepts one pending connection (non-blocking, close-on-exec, TCP_NODELAY), or -1.
int tcp_accept(int listen_fd, std::string* peer = nullptr);

}  // namespace zabra::node
