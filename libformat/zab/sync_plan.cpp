#include "libformat/zab/data_dir.h"
#include "libformat/zab/sync_plan.h"

#include "libformat/common/json_reader.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace zabra::zab {

namespace {

std::int64_t epoch_of(std::int64_t z) { return static_cast<std::int64_t>(static_cast<std::uint64_t>(z) >> 32); }
bool is_new_epoch(std::int64_t z) { return (z & 0xffffffffll) == 0; }

// What syncFollower queues, in order, and its needOpPacket flag.
struct Queue {
    bool need_op = true;
    std::optional<std::int64_t> diff, trunc;
    std::vector<std::int64_t> proposals;
    void clear() { *this = Queue{}; }
};

// queueCommittedProposals over `stream`: returns the last zxid queued.
std::int64_t walk(const std::vector<std::int64_t>& stream, std::int64_t peer, std::optional<std::int64_t> bound,
                  std::int64_t diff_zxid, Queue& q) {
    std::int64_t queued = peer;
    std::int64_t prev = -1;
    const bool peer_new_epoch = is_new_epoch(peer);
    for (const std::int64_t x : stream) {
        if (bound && x > *bound) break;
        if (x < peer) {
            prev = x;
            continue;
        }
        if (q.need_op) {
            if (x == peer) {
                q.diff = diff_zxid;
                q.need_op = false;
                continue;
            }
            if (peer_new_epoch) {
                q.diff = diff_zxid;
                q.need_op = false;
            } else {
                if (epoch_of(x) != epoch_of(peer)) return queued;  // "Cannot send TRUNC ... different epoch"
                q.trunc = prev;
                q.need_op = false;
            }
        }
        if (x <= queued) continue;
        q.proposals.push_back(x);
        queued = x;
    }
    if (q.need_op && peer_new_epoch) {
        q.diff = diff_zxid;
        q.need_op = false;
    }
    return queued;
}

}  // namespace

const char* sync_kind_name(SyncKind k) {
    switch (k) {
    case SyncKind::EmptyDiff: return "EMPTY_DIFF";
    case SyncKind::Diff: return "DIFF";
    case SyncKind::Trunc: return "TRUNC";
    case SyncKind::TruncDiff: return "TRUNC+DIFF";
    case SyncKind::Snap: return "SNAP";
    }
    return "?";
}

SyncPlan plan_sync(const LeaderState& l, std::int64_t peer) {
    const std::int64_t lp = l.last_processed;
    const std::int64_t min = l.committed.empty() ? lp : l.committed.front();
    const std::int64_t max = l.committed.empty() ? lp : l.committed.back();
    SyncPlan p;
    Queue q;
    std::int64_t current = peer;
    bool snap = true;
    auto range = fmt::format("committed log {}..{}", zxid_hex(min), zxid_hex(max));
    if (l.force_snap) {
        p.rule = "force-snap";
        p.reason = "zookeeper.forceSnapshotSync is set: every learner gets a snapshot";
    } else if (lp == peer) {
        q.diff = peer;
        q.need_op = false;
        snap = false;
        p.rule = "in-sync";
        p.reason = fmt::format("the learner is at the leader's lastProcessedZxid {}: an empty DIFF", zxid_hex(lp));
    } else if (peer > max && !is_new_epoch(peer)) {
        q.trunc = max;
        q.need_op = false;
        current = max;
        snap = false;
        p.rule = "peer-ahead";
        p.reason = fmt::format("the learner's {} is past the leader's newest committed txn {}: it truncates to {}",
                               zxid_hex(peer), zxid_hex(max), zxid_hex(max));
    } else if (min <= peer && peer <= max) {
        current = walk(l.committed, peer, std::nullopt, max, q);
        snap = false;
        p.rule = "committed-log";
        p.reason = fmt::format("the learner's {} is within the {}: the txns after it come from there", zxid_hex(peer),
                               range);
    } else if (peer < min && l.txnlog_sync) {
        const bool usable = l.txnlog && !l.txnlog->empty() && l.txnlog->front() <= peer && !l.txnlog_over_limit;
        if (!usable) {
            p.rule = l.txnlog_over_limit ? "txnlog-too-large" : "txnlog-missing";
            p.reason = l.txnlog_over_limit
                           ? fmt::format("the learner's {} is before the {}, and the on-disk log from there exceeds "
                                         "the size limit (snapshot size x snapshotSizeFactor)",
                                         zxid_hex(peer), range)
                           : fmt::format("the learner's {} is before the {} and before the oldest on-disk txn",
                                         zxid_hex(peer), range);
        } else {
            const std::int64_t c = walk(*l.txnlog, peer, min, max, q);
            if (c < min) {
                q.clear();
                current = peer;
                p.rule = "txnlog-gap";
                p.reason = fmt::format("the on-disk log from {} ends at {}, before the {}: a gap", zxid_hex(peer), zxid_hex(c),
                                       range);
            } else {
                current = walk(l.committed, c, std::nullopt, max, q);
                snap = false;
                p.rule = "txnlog+committed-log";
                p.reason = fmt::format("the learner's {} is before the {}: the on-disk log supplies the txns up to {}, "
                                       "the committed log the rest",
                                       zxid_hex(peer), range, zxid_hex(min));
            }
        }
    } else {
        p.rule = "unhandled";
        p.reason = peer < min ? fmt::format("the learner's {} is before the {} and txn-log sync is off "
                                            "(snapshotSizeFactor < 0)",
                                            zxid_hex(peer), range)
                              : fmt::format("the learner's {} is a new-epoch zxid past the {}", zxid_hex(peer), range);
    }
    if (snap) current = lp;
    if (!snap && q.need_op) {
        // The walk stopped at an epoch boundary before queueing anything.
        snap = true;
        p.rule = "epoch-boundary";
        p.reason = fmt::format("the first leader txn after the learner's {} is in another epoch: ZooKeeper never "
                               "sends a TRUNC across epochs, so the learner gets a snapshot",
                               zxid_hex(peer));
    }
    p.current_zxid = current;
    if (snap) {
        p.kind = SyncKind::Snap;
        return p;
    }
    p.trunc_to = q.trunc;
    p.diff_zxid = q.diff;
    p.proposals = std::move(q.proposals);
    if (q.trunc) {
        p.kind = p.proposals.empty() ? SyncKind::Trunc : SyncKind::TruncDiff;
    } else {
        p.kind = p.proposals.empty() ? SyncKind::EmptyDiff : SyncKind::Diff;
    }
    return p;
}

std::optional<std::int64_t> parse_plan_zxid(std::string_view t) {
    if (t == "-1") return -1;
    std::uint64_t v = 0;
    int base = 10;
    if (t.starts_with("0x") || t.starts_with("0X")) {
        t.remove_prefix(2);
        base = 16;
    }
    if (t.empty()) return std::nullopt;
    const auto r = std::from_chars(t.data(), t.data() + t.size(), v, base);
    if (r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
    return static_cast<std::int64_t>(v);
}

namespace {

std::int64_t json_zxid(const JsonValue& v, const char* what) {
    std::optional<std::int64_t> z;
    if (const std::string* s = v.string()) z = parse_plan_zxid(*s);
    if (const JsonValue::Number* n = v.number()) z = parse_plan_zxid(n->text);
    if (!z) throw std::runtime_error(fmt::format("\"{}\": not a zxid", what));
    return *z;
}

std::vector<std::int64_t> json_zxids(const JsonValue& v, const char* what) {
    const JsonValue::Array* a = v.array();
    if (a == nullptr) throw std::runtime_error(fmt::format("\"{}\": expected a list of zxids", what));
    std::vector<std::int64_t> out;
    for (const JsonValue& e : *a) out.push_back(json_zxid(e, what));
    return out;
}

}  // namespace

LeaderState leader_state_from_json(const JsonValue& doc) {
    if (doc.object() == nullptr) throw std::runtime_error("the leader state must be a JSON object");
    const JsonValue* committed = doc.get("committed");
    const JsonValue* lp = doc.get("last_processed");
    if (committed == nullptr || lp == nullptr) throw std::runtime_error("\"committed\" and \"last_processed\" are required");
    LeaderState s;
    s.committed = json_zxids(*committed, "committed");
    s.last_processed = json_zxid(*lp, "last_processed");
    if (const JsonValue* t = doc.get("txnlog"); t != nullptr && !t->is_null()) s.txnlog = json_zxids(*t, "txnlog");
    if (const JsonValue* f = doc.get("force_snap"); f != nullptr && f->boolean()) s.force_snap = *f->boolean();
    if (const JsonValue* t = doc.get("txnlog_sync"); t != nullptr && t->boolean()) s.txnlog_sync = *t->boolean();
    return s;
}

}  // namespace zabra::zab
