// The quorum port's bytes (doc/zab-quorum-port.md): QuorumPackets, written
// back to back with no length prefix, and the payloads of the discovery and
// sync packets, as ZooKeeper 3.8 writes them. Pure codecs: no sockets.
//
//   stream       := packet*                      (after a SNAP packet from the leader, a snapshot
//                                                 stream and "BenWasHere" come before the next packet)
//   packet       := int32 type ‖ int64 zxid ‖ buffer data ‖ vector<Id> authinfo
//   buffer       := int32 length (-1: null) ‖ bytes[length]
//   Id           := ustring scheme ‖ ustring id
//   LearnerInfo  := int64 sid ‖ int32 protocolVersion (0x10000) ‖ int64 configVersion   (FOLLOWERINFO data)
//   LEADERINFO data := int32 protocolVersion (0x10000);   ACKEPOCH data := int32 currentEpoch (-1: already accepted)
#pragma once

#include "libformat/common/bytes.h"
#include "node/wire.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace zabra::node::quorum {

enum PacketType : std::int32_t {
    kRequest = 1,
    kProposal = 2,
    kAck = 3,
    kCommit = 4,
    kPing = 5,
    kRevalidate = 6,
    kSync = 7,
    kInform = 8,
    kCommitAndActivate = 9,
    kNewLeader = 10,
    kFollowerInfo = 11,
    kUpToDate = 12,
    kDiff = 13,
    kTrunc = 14,
    kSnap = 15,
    kObserverInfo = 16,
    kLeaderInfo = 17,
    kAckEpoch = 18,
    kInformAndActivate = 19,
};
const char* packet_type_name(std::int32_t type);

constexpr std::int32_t kZab10Protocol = 0x10000;

struct QuorumPacket {
    std::int32_t type = 0;
    std::int64_t zxid = 0;
    std::optional<std::string> data;                  // null: none
    std::optional<std::vector<AuthId>> authinfo;      // null: none
};

std::string encode_quorum_packet(const QuorumPacket& p);

// The next packet from the start of `bytes`, or nothing while it is
// incomplete. Throws FormatError for a buffer or string length outside
// -1..max_buffer or a negative count (the peer is dropped). `used` gets the
// packet's length.
std::optional<QuorumPacket> next_quorum_packet(ByteSpan bytes, std::size_t& used, std::uint32_t max_buffer);

struct LearnerInfo {
    std::int64_t sid = 0;
    std::int32_t protocol_version = kZab10Protocol;
    std::int64_t config_version = 0;
};
std::string encode_learner_info(const LearnerInfo& l);
// As LearnerHandler reads it: 8 bytes give the sid, 12 the protocol, 20 the
// config version (the rest keep their defaults: protocol 1 before Zab 1.0).
LearnerInfo decode_learner_info(ByteSpan data);

// LEADERINFO's and ACKEPOCH's data: one int32.
std::string encode_int32(std::int32_t v);
std::int32_t decode_int32(ByteSpan data);

}  // namespace zabra::node::quorum
