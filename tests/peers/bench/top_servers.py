"""The fake ZooKeeper 3.8 four-letter-word servers of tests/peers/bench/top.py,
all in one asyncio process (so their CPU cost is one process's):

    python3 -m tests.peers.bench.top_servers --ports P1,P2,... --ready FILE --stats FILE

Each port (from the harness's free_ports, bound on 127.0.0.1) answers
  srvr  a ZooKeeper 3.8 reply (the shape of tests/fixtures/zk/4lw/srvr.txt):
        the first "Mode: leader", the others "Mode: follower", one epoch, a
        Zxid whose counter grows ~100 txns/s (followers 0-2 behind);
  mntr  a reply like a real 3.8 leader's: ~540 "zk_<key>\\t<value>" lines,
        ~18 KB (the keys of a real 3.8 leader's mntr plus the avg/min/max/cnt/
        sum/p50/p95/p99/p999 summaries and per-learner queue sizes);
anything else gets an empty reply, as ZooKeeper gives an unknown word.
--ready is written once every port listens; on SIGTERM the counts of words
served and bytes sent go to --stats (JSON).  --mntr-size prints the mntr
reply's size and exits.
"""
import argparse
import asyncio
import json
import os
import signal
import time

VERSION = "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC"
EPOCH = 4

SUMMARY_NAMES = [
    "fsynctime", "snapshottime", "election_time", "follower_sync_time", "readlatency", "updatelatency",
    "read_commitproc_time_ms", "write_commitproc_time_ms", "commit_propagation_latency", "proposal_latency",
    "quorum_ack_latency", "om_proposal_process_time_ms", "om_commit_process_time_ms",
    "local_write_committed_time_ms", "server_write_committed_time_ms", "read_final_proc_time_ms",
    "write_final_proc_time_ms", "prep_processor_queue_time_ms", "sync_processor_queue_time_ms",
    "sync_processor_batch_size", "prep_process_time", "sync_process_time", "close_session_prep_time",
    "requests_in_session_queue", "reads_issued_from_session_queue", "pending_session_queue_size",
    "read_commit_proc_issued", "write_commit_proc_issued",
    "session_queues_drained", "commit_process_time", "proposal_ack_creation_latency", "propagation_latency", "dead_watchers_cleaner_latency",
    "netty_queued_buffer_capacity", "inflight_snap_count", "inflight_diff_count", "startup_txns_loaded",
    "startup_txns_load_time", "startup_snap_load_time", "jvm_pause_time_ms", "learner_proposal_received_count",
    "node_created_watch_count", "node_deleted_watch_count", "node_changed_watch_count",
    "node_children_watch_count", "write_per_namespace", "read_per_namespace",
]
SUFFIXES = ["avg", "min", "max", "cnt", "sum", "p50", "p95", "p99", "p999"]
# a real 3.8 leader's mntr counters, "key=value; ..."
COUNTERS = [tuple(kv.strip().split("=", 1)) for kv in """
zk_server_state=leader; zk_peer_state=leading - broadcast; zk_ephemerals_count=1; zk_avg_latency=1.9256;
zk_num_alive_connections=2; zk_min_proposal_size=48; zk_outstanding_requests=0; zk_znode_count=551;
zk_global_sessions=1; zk_packets_sent=618; zk_packets_received=529; zk_max_proposal_size=94;
zk_synced_followers=49; zk_watch_count=1; zk_synced_non_voting_followers=0; zk_synced_observers=0;
zk_min_latency=0; zk_max_file_descriptor_count=20000; zk_approximate_data_size=6922;
zk_open_file_descriptor_count=52; zk_last_proposal_size=48; zk_pending_syncs=0; zk_leader_uptime=402194;
zk_local_sessions=0; zk_uptime=402316; zk_max_latency=11; zk_learners=49; zk_quorum_size=50; zk_looking_count=2;
zk_digest_mismatches_count=0; zk_diff_count=6; zk_snap_count=0; zk_outstanding_tls_handshake=0;
zk_unrecoverable_error_count=0; zk_tls_handshake_exceeded=0; zk_uptime_seconds=402; zk_connection_drop_count=0;
zk_connection_rejected=0; zk_bytes_received_count=24831; zk_response_packet_cache_hits=0;
zk_response_packet_cache_misses=0; zk_response_packet_get_children_cache_hits=0;
zk_response_packet_get_children_cache_misses=0; zk_stale_requests=0; zk_stale_requests_dropped=0;
zk_stale_replies=0; zk_sessionless_connections_expired=0; zk_request_throttle_wait_count=0;
zk_large_requests_rejected=0; zk_insecure_admin_count=0; zk_watch_bytes=0; zk_ensemble_auth_success=0;
zk_ensemble_auth_fail=0; zk_ensemble_auth_skip=0; zk_auth_failed_count=0; zk_non_mtls_remote_conn_count=0;
zk_non_mtls_local_conn_count=0; zk_revalidate_count=0; zk_add_dead_watcher_stall_time=0;
zk_dead_watchers_queued=0; zk_dead_watchers_cleared=0; zk_sync_processor_request_queued=350;
zk_commit_count=350; zk_proposal_count=350; zk_learner_commit_received_count=0;
zk_commit_commit_proc_req_queued=350; zk_request_commit_queued=350; zk_snap_count_total=0;
zk_looking_count_total=2; zk_quit_leading_due_to_disloyal_voter=0; zk_leader_unavailable_time_cnt=2;
zk_digest_mismatches_count_total=0; zk_tls_handshake_count=0; zk_throttled_ops=0; zk_blocked_reads=0
""".split(";")]


def mntr_text():
    lines = ["zk_version\t" + VERSION]
    lines += ["%s\t%s" % kv for kv in COUNTERS]
    for i, name in enumerate(SUMMARY_NAMES):
        for j, suf in enumerate(SUFFIXES):
            v = "%.4f" % ((i * 7 + j * 3) % 97 / 7.0) if suf == "avg" else str((i * 131 + j * 17) % 5000)
            lines.append("zk_%s_%s\t%s" % (suf, name, v))
    for sid in (2, 3):
        for base in ("learner_handler_qp_size", "learner_handler_qp_time_ms"):
            for suf in SUFFIXES:
                lines.append("zk_%s_%d_%s\t%s" % (suf, sid, base, "0.0055" if suf == "avg" else "2"))
    return "\n".join(lines) + "\n"


MNTR = mntr_text().encode()
T0 = time.monotonic()


def srvr_text(index):
    counter = 0x15E + int((time.monotonic() - T0) * 100) - (0 if index == 0 else index % 3)
    return ("Zookeeper version: %s\nLatency min/avg/max: 0/1.9256/11\nReceived: 528\nSent: 617\n"
            "Connections: 2\nOutstanding: 0\nZxid: 0x%x\nMode: %s\nNode count: 551\n%s"
            % (VERSION, (EPOCH << 32) | max(0, counter), "leader" if index == 0 else "follower",
               "Proposal sizes last/min/max: 48/48/94\n" if index == 0 else "")).encode()


STATS = {"srvr": 0, "mntr": 0, "other": 0, "bytes": 0}


def handler_for(index):
    async def handle(reader, writer):
        try:
            word = await asyncio.wait_for(reader.read(4), 5)
            while len(word) < 4:
                more = await asyncio.wait_for(reader.read(4 - len(word)), 5)
                if not more:
                    break
                word += more
            if word == b"srvr":
                reply = srvr_text(index)
                STATS["srvr"] += 1
            elif word == b"mntr":
                reply = MNTR
                STATS["mntr"] += 1
            else:
                reply = b""
                STATS["other"] += 1
            writer.write(reply)
            await writer.drain()
            STATS["bytes"] += len(reply)
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
    return handle


async def serve(ports, ready_file, stats_file):
    servers = []
    for i, port in enumerate(ports):
        servers.append(await asyncio.start_server(handler_for(i), "127.0.0.1", port, backlog=128))
    with open(ready_file + ".tmp", "w") as f:
        f.write(",".join("127.0.0.1:%d" % p for p in ports) + "\n")
    os.rename(ready_file + ".tmp", ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    for s in servers:
        s.close()
    with open(stats_file, "w") as f:
        json.dump(STATS, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ports", help="the ports to listen on, comma-separated")
    ap.add_argument("--ready", help="written (the host:port list) once every port listens")
    ap.add_argument("--stats", help="the counts, written at SIGTERM")
    ap.add_argument("--mntr-size", action="store_true", help="print the mntr reply's size and exit")
    args = ap.parse_args()
    if args.mntr_size:
        print("%d lines, %d bytes" % (MNTR.count(b"\n"), len(MNTR)))
        return
    if not (args.ports and args.ready and args.stats):
        ap.error("--ports, --ready and --stats are needed")
    asyncio.run(serve([int(p) for p in args.ports.split(",")], args.ready, args.stats))


if __name__ == "__main__":
    main()
