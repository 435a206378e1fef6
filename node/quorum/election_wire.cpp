#include "node/quorum/election_wire.h"

#include "libformat/common/byte_cursor.h"
#include "libformat/common/java_text.h"

#include <fmt/format.h>


namespace zabra::node::quorum {

std::string encode_connection_header(std::int64_t sid, const std::string& election_address) {
    std::string out;
    append_be64(out, static_cast<std::uint64_t>(kProtocolV1));
    append_be64(out, static_cast<std::uint64_t>(sid));
    append_be32(out, static_cast<std::uint32_t>(election_address.size()));
    out += election_address;
    return out;
}

std::optional<ConnectionHeader> decode_connection_header(ByteSpan bytes, std::size_t& used) {
    if (bytes.size() < 8) return std::nullopt;
    const auto protocol = static_cast<std::int64_t>(load_be64(bytes.data()));
    ConnectionHeader h;
    if (protocol >= 0) {  // before 3.5: the sid alone
        h.sid = protocol;
        used = 8;
        return h;
    }
    if (protocol != kProtocolV1 && protocol != kProtocolV2) {
        throw FormatError(fmt::format("connection header: protocol version {} is not one ZooKeeper speaks", protocol), 0);
    }
    if (bytes.size() < 20) return std::nullopt;
    h.sid = static_cast<std::int64_t>(load_be64(bytes.data() + 8));
    const auto n = static_cast<std::int32_t>(load_be32(bytes.data() + 16));
    if (n <= 0 || static_cast<std::uint32_t>(n) > kMaxHeaderAddress) {
        throw FormatError(fmt::format("connection header: address length {} is not in 1..{}", n, kMaxHeaderAddress), 16);
    }
    if (bytes.size() < 20 + static_cast<std::size_t>(n)) return std::nullopt;
    h.address = std::string(reinterpret_cast<const char*>(bytes.data()) + 20, static_cast<std::size_t>(n));
    h.v2 = protocol == kProtocolV2;
    // Each address, '|'-separated in either version, must be host:port with
    // a port number (InitialMessage.parse: Integer.parseInt, InetSocketAddress).
    for (const std::string& one : java::split(*h.address, '|')) {
        std::vector<std::string> hp;
        try {
            hp = zab::host_and_ports(one);
        } catch (const std::runtime_error&) {
        }
        const std::optional<std::int64_t> port = hp.size() == 2 ? java::parse_long(hp[1]) : std::nullopt;
        if (!port || *port < 0 || *port > 65535) {
            throw FormatError(fmt::format("connection header: badly formed address \"{}\"", one), 20);
        }
    }
    used = 20 + static_cast<std::size_t>(n);
    return h;
}

const char* peer_state_name(PeerState s) {
    switch (s) {
    case PeerState::Looking: return "LOOKING";
    case PeerState::Following: return "FOLLOWING";
    case PeerState::Leading: return "LEADING";
    case PeerState::Observing: return "OBSERVING";
    }
    return "UNKNOWN";
}

std::string encode_notification(const Notification& n) {
    std::string out;
    append_be32(out, static_cast<std::uint32_t>(n.state));
    append_be64(out, static_cast<std::uint64_t>(n.leader));
    append_be64(out, static_cast<std::uint64_t>(n.zxid));
    append_be64(out, static_cast<std::uint64_t>(n.election_epoch));
    append_be64(out, static_cast<std::uint64_t>(n.peer_epoch));
    append_be32(out, static_cast<std::uint32_t>(n.version));
    append_be32(out, static_cast<std::uint32_t>(n.config.size()));
    out += n.config;
    return out;
}

Notification decode_notification(ByteSpan payload) {
    if (payload.size() < 28) {
        throw FormatError(fmt::format("notification of {} bytes: shorter than 28", payload.size()), 0);
    }
    ByteCursor c(payload);
    Notification n;
    n.state = static_cast<PeerState>(static_cast<std::int32_t>(c.be32()));
    n.leader = static_cast<std::int64_t>(c.be64());
    n.zxid = static_cast<std::int64_t>(c.be64());
    n.election_epoch = static_cast<std::int64_t>(c.be64());
    if (payload.size() == 28) {  // before peerEpoch: the epoch of the zxid
        n.peer_epoch = n.zxid >> 32;
        n.version = 0;
        return n;
    }
    n.peer_epoch = static_cast<std::int64_t>(c.be64());
    if (payload.size() == 40) {  // peerEpoch and 4 bytes nobody reads
        n.version = 0;
        return n;
    }
    n.version = static_cast<std::int32_t>(c.be32());
    if (n.version <= 1) return n;
    const auto len = static_cast<std::int32_t>(c.be32());
    if (len < 0 || static_cast<std::size_t>(len) > payload.size()) {
        throw FormatError(fmt::format("notification config length {} is out of range", len), 40);
    }
    const ByteSpan cfg = c.take(static_cast<std::size_t>(len));
    n.config.assign(reinterpret_cast<const char*>(cfg.data()), cfg.size());
    return n;
}

std::string frame(const std::string& payload) {
    std::string out;
    append_be32(out, static_cast<std::uint32_t>(payload.size()));
    return out + payload;
}

std::optional<std::string> next_frame(ByteSpan bytes, std::size_t& used) {
    if (bytes.size() < 4) return std::nullopt;
    const auto len = static_cast<std::int32_t>(load_be32(bytes.data()));
    if (len <= 0 || static_cast<std::uint32_t>(len) > kMaxElectionFrame) {
        throw FormatError(fmt::format("election frame length {} is not in 1..{}", len, kMaxElectionFrame), 0);
    }
    if (bytes.size() < 4 + static_cast<std::size_t>(len)) return std::nullopt;
    used = 4 + static_cast<std::size_t>(len);
    return std::string(reinterpret_cast<const char*>(bytes.data()) + 4, static_cast<std::size_t>(len));
}

std::string config_text(const std::map<std::int64_t, zab::ZooCfgServer>& servers) {
    std::string out;
    for (const auto& [sid, s] : servers) {
        const std::string host = s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host;
        out += fmt::format("server.{}={}:{}:{}:{}", sid, host, s.quorum_port, s.election_port,
                           s.observer ? "observer" : "participant");
        if (s.client_port) {
            const std::string ch = s.client_host.value_or("0.0.0.0");
            out += fmt::format(";{}:{}", ch.find(':') != std::string::npos ? "[" + ch + "]" : ch, *s.client_port);
        }
        out += '\n';
    }
    return out + "version=0";
}

}  // namespace zabra::node::quorum
