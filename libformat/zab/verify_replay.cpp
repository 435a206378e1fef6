// Verifier: replay of the logs onto the chosen snapshot's tree against the
// digests the txns carry, and the epochs (verifier.h).
#include "libformat/zab/verifier.h"

#include <fmt/format.h>

namespace zabra::zab::verify_detail {

void Verifier::apply(const Txn& t, const DataFile& f, const TxnLogRecord& rec) {
    if (!m_tree || m_replay_stopped || t.header.zxid <= m_applied) return;
    if (!zxid_follows(m_applied, t.header.zxid)) {
        m_replay_stopped = true;  // a gap: the finding is made by follow()
        return;
    }
    m_applied = t.header.zxid;
    const DigestCheck c = m_tree->apply_and_check(t);
    if (!c.compared) return;
    ++m_r.stats.digests_compared;
    if (c.expected == c.actual) return;
    ++m_digest_mismatches;
    if (m_digest_mismatches > 1) return;
    Finding& fd = add(Severity::Error, "digest-mismatch", f.path,
                      fmt::format("after replaying to {} the tree digest is {}, the log says {}: the data "
                                  "this server would load differs from what the leader had",
                                  zxid_hex(t.header.zxid), zxid_hex(c.actual), zxid_hex(c.expected)),
                      "resync this server from the quorum");
    fd.offset = rec.offset;
    fd.record = rec.index;
    fd.zxid = t.header.zxid;
}

void Verifier::finish_replay() {
    if (!m_tree) return;
    if (m_digest_mismatches > 1) {
        add(Severity::Error, "digest-mismatch", m_chosen->file.path,
            fmt::format("{} txns in all end with a digest other than the one logged", m_digest_mismatches),
            "resync this server from the quorum");
    }
    if (m_tree->in_fuzzy_range()) {
        add(Severity::Warning, "digest-not-covered", m_chosen->file.path,
            fmt::format("the logs end at {} before the snapshot's digest zxid: the state cannot be checked",
                        zxid_hex(m_applied)),
            "look for a missing log file");
    }
}

void Verifier::check_epochs() {
    std::optional<std::int64_t> last = m_r.stats.last_zxid;
    if (m_chosen != nullptr) last = std::max(last.value_or(-1), m_chosen->file.name.zxid);
    for (const DataDir& d : m_dirs) {
        for (const auto& p : d.problems) {
            add(Severity::Error, "epoch-file-junk", d.version2, p + "; ZooKeeper will not start",
                "restore the file from another copy; never lower an epoch");
        }
        const bool tmp = fs::exists(d.version2 / "currentEpoch.tmp");
        if (tmp) {
            add(Severity::Warning, "epoch-tmp-present", d.version2 / "currentEpoch.tmp",
                "an epoch update was interrupted; ZooKeeper uses this file to recover",
                "leave it for ZooKeeper to finish the update");
        }
        if (d.current_epoch && last && zxid_epoch(*last) > *d.current_epoch && !tmp) {
            add(Severity::Error, "epoch-older-than-zxid", d.version2 / "currentEpoch",
                fmt::format("currentEpoch is {} but the data reaches zxid {} of epoch {}; ZooKeeper will not "
                            "start (\"The current epoch, {}, is older than the last zxid\")",
                            *d.current_epoch, zxid_hex(*last), zxid_epoch(*last), *d.current_epoch),
                "power was lost during an epoch change: restore the epoch files from the quorum");
        }
        if (d.current_epoch && d.accepted_epoch && *d.accepted_epoch < *d.current_epoch) {
            add(Severity::Error, "epoch-accepted-below-current", d.version2 / "acceptedEpoch",
                fmt::format("acceptedEpoch {} is below currentEpoch {}; ZooKeeper will not start",
                            *d.accepted_epoch, *d.current_epoch),
                "restore the epoch files from the quorum");
        }
    }
}

}  // namespace zabra::zab::verify_detail
