#include "node/quorum/quorum_packet.h"

#include "libformat/common/byte_cursor.h"
#include "libformat/zab/jute.h"

namespace zabra::node::quorum {

const char* packet_type_name(std::int32_t type) {
    switch (type) {
    case kRequest: return "REQUEST";
    case kProposal: return "PROPOSAL";
    case kAck: return "ACK";
    case kCommit: return "COMMIT";
    case kPing: return "PING";
    case kRevalidate: return "REVALIDATE";
    case kSync: return "SYNC";
    case kInform: return "INFORM";
    case kCommitAndActivate: return "COMMITANDACTIVATE";
    case kNewLeader: return "NEWLEADER";
    case kFollowerInfo: return "FOLLOWERINFO";
    case kUpToDate: return "UPTODATE";
    case kDiff: return "DIFF";
    case kTrunc: return "TRUNC";
    case kSnap: return "SNAP";
    case kObserverInfo: return "OBSERVERINFO";
    case kLeaderInfo: return "LEADERINFO";
    case kAckEpoch: return "ACKEPOCH";
    case kInformAndActivate: return "INFORMANDACTIVATE";
    default: return "UNKNOWN";
    }
}

std::string encode_quorum_packet(const QuorumPacket& p) {
    std::string out;
    zab::JuteWriter w(out);
    w.i32(p.type);
    w.i64(p.zxid);
    w.buffer(p.data);
    if (!p.authinfo) {
        w.i32(-1);
    } else {
        w.i32(static_cast<std::int32_t>(p.authinfo->size()));
        for (const AuthId& id : *p.authinfo) {
            w.string(id.scheme);
            w.string(id.id);
        }
    }
    return out;
}

std::optional<QuorumPacket> next_quorum_packet(ByteSpan bytes, std::size_t& used, std::uint32_t max_buffer) {
    ByteCursor c(bytes);
    zab::JuteReader<ByteCursor> r(c, max_buffer);
    QuorumPacket p;
    try {
        p.type = r.i32();
        p.zxid = r.i64();
        p.data = r.buffer("QuorumPacket data");
        if (const auto n = r.count("QuorumPacket authinfo")) {
            p.authinfo.emplace();
            for (std::int32_t i = 0; i < *n; ++i) {
                AuthId id;
                id.scheme = r.string("Id scheme");
                id.id = r.string("Id id");
                p.authinfo->push_back(std::move(id));
            }
        }
    } catch (const TruncatedError&) {
        return std::nullopt;  // the rest has not arrived yet
    }
    used = c.index();
    return p;
}

std::string encode_learner_info(const LearnerInfo& l) {
    std::string out;
    append_be64(out, static_cast<std::uint64_t>(l.sid));
    append_be32(out, static_cast<std::uint32_t>(l.protocol_version));
    append_be64(out, static_cast<std::uint64_t>(l.config_version));
    return out;
}

LearnerInfo decode_learner_info(ByteSpan data) {
    LearnerInfo l;
    l.protocol_version = 1;  // LearnerHandler's default for a learner that sends less
    ByteCursor c(data);
    if (c.remaining() >= 8) l.sid = static_cast<std::int64_t>(c.be64());
    if (c.remaining() >= 4) l.protocol_version = static_cast<std::int32_t>(c.be32());
    if (c.remaining() >= 8) l.config_version = static_cast<std::int64_t>(c.be64());
    return l;
}

std::string encode_int32(std::int32_t v) {
    std::string out;
    append_be32(out, static_cast<std::uint32_t>(v));
    return out;
}

std::int32_t decode_int32(ByteSpan data) {
    ByteCursor c(data);
    return static_cast<std::int32_t>(c.be32());
}

}  // namespace zabra::node::quorum
