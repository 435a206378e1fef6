// The election port's bytes (doc/zab-election.md): QuorumCnxManager's
// connection header and framing, and FastLeaderElection's notifications, as
// ZooKeeper 3.8 writes and accepts them. Pure codecs: no sockets.
//
//   connection   := header frame*                        (initiator -> acceptor; frames flow both ways)
//   header       := int64 protocol ‖ int64 sid ‖ int32 n ‖ address[n]
//                     protocol -65536 (V1: "host:port") or -65535 (V2: "h1:p1|h2:p2")
//                 | int64 sid (>= 0)                     (pre-3.5: the sid alone)
//   frame        := int32 length (1..524288) ‖ payload[length]
//   notification := int32 state ‖ int64 leader ‖ int64 zxid ‖ int64 electionEpoch ‖ int64 peerEpoch
//                   ‖ int32 version (2) ‖ int32 cfgLen ‖ config[cfgLen]
//                   (also accepted: the first 28 bytes alone, 40 bytes, or version <= 1 without config)
//   config       := ("server." sid "=" host ":" qport ":" eport ":" type [";" chost ":" cport] "\n")* "version=" hex
#pragma once

#include "libformat/common/bytes.h"
#include "libformat/zab/zoo_cfg.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

namespace zabra::node::quorum {

constexpr std::int64_t kProtocolV1 = -65536;
constexpr std::int64_t kProtocolV2 = -65535;
constexpr std::uint32_t kMaxHeaderAddress = 2048;  // QuorumCnxManager's maxBuffer
constexpr std::uint32_t kMaxElectionFrame = 1024 * 512;  // PACKETMAXSIZE
constexpr std::int32_t kNotificationVersion = 2;

// What the initiator says first.
struct ConnectionHeader {
    std::int64_t sid = 0;
    std::optional<std::string> address;  // its election address; none in the pre-3.5 form
    bool v2 = false;
};

// The header as ZooKeeper writes it (V1), in one buffer (the acceptor reads it with one read).
std::string encode_connection_header(std::int64_t sid, const std::string& election_address);

// Decodes a header from the start of `bytes`. Returns nothing while more
// bytes are needed; throws FormatError for a header QuorumCnxManager refuses
// (an unknown negative protocol, an address length <= 0 or > 2048, an
// address without host:port). `used` gets the header's length.
std::optional<ConnectionHeader> decode_connection_header(ByteSpan bytes, std::size_t& used);

enum class PeerState : std::int32_t { Looking = 0, Following = 1, Leading = 2, Observing = 3 };
const char* peer_state_name(PeerState s);

struct Notification {
    PeerState state = PeerState::Looking;
    std::int64_t leader = 0;
    std::int64_t zxid = 0;
    std::int64_t election_epoch = 0;
    std::int64_t peer_epoch = 0;
    std::int32_t version = kNotificationVersion;
    std::string config;  // the sender's member list (empty in the older forms)
};

// One frame's payload.
std::string encode_notification(const Notification& n);
// Throws FormatError for a payload FastLeaderElection drops (shorter than 28
// bytes, a config length out of range); a state it does not know is
// returned as is (the receiver ignores such a notification).
Notification decode_notification(ByteSpan payload);

// The frame around a payload.
std::string frame(const std::string& payload);
// The next frame's payload from the start of `bytes`, or nothing while it is
// incomplete. Throws FormatError for a length <= 0 or > 524288 (the
// connection is dropped). `used` gets the frame's length.
std::optional<std::string> next_frame(ByteSpan bytes, std::size_t& used);

// QuorumMaj.toString for a static config: one line per member in sid order,
// then "version=0" with no newline. A member's client part is there only
// when its server line has one (ZooKeeper leaves out what came from the
// clientPort key); a port alone shows as 0.0.0.0.
std::string config_text(const std::map<std::int64_t, zab::ZooCfgServer>& servers);

}  // namespace zabra::node::quorum
