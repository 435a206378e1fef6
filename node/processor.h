// The request pipeline's logic, free of sockets and disks: ZooKeeper's
// PrepRequestProcessor (validate a request against the tree and the
// outstanding changes, turn it into a txn and its reply) and
// FinalRequestProcessor's part that applies a committed txn to the tree
// (doc/zabra-node-pipeline.md).
//
// process() prepares: it changes only the outstanding changes, never the
// tree. What lies between prepare and commit is the caller's: standalone,
// the txn is made durable (sync, then final); in an ensemble, proposed and
// acknowledged by a quorum. commit() then applies it, in zxid order, and the
// caller releases the reply. Reads see the committed tree only; the caller
// keeps them behind the writes that came before them.
#pragma once

#include "libformat/zab/data_tree.h"
#include "node/outstanding_changes.h"
#include "node/wire.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace zabra::node {


struct Session {
    std::int64_t id = 0;
    std::int32_t timeout_ms = 0;
    std::string password;
    std::int64_t expires_at_ms = 0;  // on a tick boundary, as ZooKeeper's ExpiryQueue
    std::vector<AuthId> auth;
    bool closing = false;  // closeSession prepared: nothing more is accepted from it
};

struct ProcessorOptions {
    std::int32_t tick_ms = 2000;
    std::int32_t min_session_timeout_ms = -1;  // -1: 2 ticks
    std::int32_t max_session_timeout_ms = -1;  // -1: 20 ticks
    bool extended_types = false;               // TTL nodes (zookeeper.extendedTypesEnabled)
    bool digest_enabled = true;                // TxnDigest after each txn (zookeeper.digest.enabled)
    std::int64_t server_id = 1;  // ZooKeeperServer.createSessionTrackerServerId: 1 when standalone
    std::int64_t start_ms = 0;  // seeds the session ids, as SessionTrackerImpl.initializeNextSessionId
};

// What a request produced: the txn to log and commit (prepared, not yet
// applied), if any, and the reply to send once it is committed.
struct Outcome {
    std::optional<zab::Txn> txn;
    std::optional<Reply> reply;
    bool close_connection = false;  // after the reply (closeSession, failed auth)
};

class Processor {
public:
    Processor(zab::DataTree& tree, ProcessorOptions options);

    // The last zxid prepared, and the last one applied to the tree.
    std::int64_t last_zxid() const { return m_last_zxid; }
    std::int64_t committed_zxid() const { return m_tree.last_processed_zxid(); }
    bool has_uncommitted() const { return m_last_zxid > committed_zxid(); }
    void set_last_zxid(std::int64_t z) { m_last_zxid = z; }
    const std::map<std::int64_t, Session>& sessions() const { return m_sessions; }
    Session* find_session(std::int64_t id);
    std::int32_t negotiate_timeout(std::int32_t requested) const;

    // Sessions found on disk at startup: alive until their timeout passes.
    void restore_sessions(std::int64_t now_ms);

    // A new session: the createSession txn; the session exists from now on.
    Outcome create_session(std::int32_t requested_timeout_ms, std::int64_t now_ms, Session*& created);
    // A new session's id on a server that does not prepare txns (a
    // follower: the leader logs its createSession); the session itself
    // exists once that txn commits.
    std::int64_t next_session_id() { return m_next_session++; }
    // Keeps a session alive (any packet from its client).
    void touch(Session& s, std::int64_t now_ms);

    Outcome process(Session& s, const Request& request, std::int64_t now_ms);

    // Applies a committed txn to the tree (the next one in zxid order); a
    // createSession or closeSession another server prepared also opens or
    // ends the session here (sessions are global). False
    // when the txn carries a digest the tree does not reach: the tree and the
    // proposal disagree (ZooKeeper logs "Digests are not matching").
    bool commit(const zab::Txn& txn);
    // Forgets every prepared, uncommitted txn (a leader that lost its quorum).
    void drop_uncommitted();
    // A leader starts epoch `epoch`: the tree and the next zxid stand at epoch << 32.
    void start_epoch(std::int64_t epoch);
    // A session a follower opened (it chose the id): its createSession txn.
    Outcome create_session_with_id(std::int64_t id, std::int32_t requested_timeout_ms, std::int64_t now_ms);
    // The error txn for a request that cannot be prepared (ZooKeeper logs
    // one for any KeeperException, e.g. SESSIONEXPIRED for an unknown session).
    Outcome error_for(std::int64_t session, const Request& r, std::int32_t err, std::int64_t now_ms);

    // closeSession txns for the sessions whose time is up (they are marked
    // closing; the caller logs the txns and drops their connections).
    std::vector<Outcome> expire_sessions(std::int64_t now_ms);
    // deleteContainer txns for empty containers and expired TTL nodes
    // (ContainerManager).
    std::vector<Outcome> expire_containers(std::int64_t now_ms);

private:
    zab::TxnHeader next_header(std::int64_t session, std::int32_t cxid, std::int32_t type, std::int64_t now_ms);
    // The txn with its digest (the tree's once every outstanding change is
    // applied) and a reply without a body.
    Outcome finish_write(zab::Txn txn, std::int32_t xid);
    // Logs a closeSession (cxid: the client's xid, 0 on expiry) and ends the session.
    Outcome close_session(std::int64_t id, std::int32_t cxid, std::int64_t now_ms);
    Outcome error_txn(const Session& s, const Request& r, std::int32_t err, std::int64_t now_ms);
    Outcome read(const Session& s, const Request& r);
    Stat stat_of(const zab::DataNode& n) const;
    bool allowed(const Session& s, const zab::DataNode& n, std::int32_t perm) const;
    // Validates one write op against `view` (the tree, the outstanding
    // changes, and for a multi its earlier ops in a scratch layer), records
    // its changes there, and builds its txn body.
    // `result` gets the node's stat as a client sees it right after this op
    // (a multi's results show each op's own moment, not the end state).
    std::int32_t prepare_op(const Session& s, std::int32_t type, const RequestBody& body, std::int64_t zxid,
                            std::int64_t now_ms, TreeView& view, zab::TxnBody& out, std::int32_t& txn_type,
                            Stat* result = nullptr) const;
    std::int32_t fix_acl(const Session& s, const zab::AclList& in, zab::AclList& out) const;
    std::int64_t expiry_for(std::int64_t now_ms, std::int32_t timeout_ms) const;

    zab::DataTree& m_tree;
    ProcessorOptions m_o;
    std::int64_t m_last_zxid = 0;
    std::int64_t m_next_session = 0;
    std::map<std::int64_t, Session> m_sessions;
    TreeView m_outstanding{m_tree};
};

// Whether `auth` may do `perm` on a node with `acl` (ZooKeeperServer.checkACL).
bool acl_allows(const std::vector<zab::Acl>& acl, const std::vector<AuthId>& auth, std::int32_t perm);

// A node's stat as a client sees it (DataNode.copyStat).
Stat node_stat(const zab::DataNode& n);

// The password of a session (16 bytes, a function of its id).
std::string session_password(std::int64_t session_id);

// Whether a request of this type is logged as a txn (a write, or a check,
// multi or closeSession), whatever its outcome.
bool produces_txn(std::int32_t type);

// PathUtils.validatePath: "" when fine, else why not.
std::string invalid_path_reason(const std::string& path);

}  // namespace zabra::node
