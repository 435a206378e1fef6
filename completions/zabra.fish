# fish completion for zabra
#
# Install in a vendor_completions.d or ~/.config/fish/completions directory
# as zabra.fish, or source it.
#
# Adding a subcommand <cmd>: add it to the list below (with its description
# in the "Subcommands" block) and give it a block of options like "dump".

set -l commands dump verify stats diff pack plan rollback repair top

# No file names unless a subcommand asks for them.
complete -c zabra -f

# Subcommands and global options (only before the subcommand).
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -a dump -d 'Print the txns of ZooKeeper logs or the nodes of a snapshot, or etcd WAL and .snap files'
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -a diff -d 'Compare two snapshots, or a data dir at two zxids, node by node'
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -a pack -d 'Copy a (possibly live) data dir into one small .tar.zst bundle'
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -a plan -d 'Predict how a ZooKeeper 3.8 leader will sync a learner'
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -a repair -d 'Repair a torn tail or an empty newest log of a stopped ZooKeeper server'
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -a rollback -d "Cut a stopped ZooKeeper server's data back to a zxid, with a backup"
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -a stats -d 'Summarise logs and snapshots by type, session, epoch, path and subtree'
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -a verify -d 'Check ZooKeeper data for damage, gaps and what ZooKeeper would get wrong'
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -s h -l help -d 'Print a summary of the commands and exit'
complete -c zabra -n "not __fish_seen_subcommand_from $commands" -s V -l version -d 'Print the version and exit'

# dump [OPTIONS] PATH...: PATH is a log, a snapshot or a data dir, or etcd
# data (a data or member dir, a *.wal or a *.snap).
set -l dump '__fish_seen_subcommand_from dump'
complete -c zabra -n $dump -F
complete -c zabra -n $dump -s h -l help -d 'Print a summary of the options and exit'
complete -c zabra -n $dump -s f -l format -x -a 'text\t"Readable text (default)" json\t"JSON Lines" zk\t"As ZooKeeper\'s TxnLogToolkit/SnapshotFormatter"' -d 'Output format'
complete -c zabra -n $dump -l data -x -a 'text\t"Escaped, capped (default)" hex\t"Hex, capped" none\t"Not shown" full\t"Escaped, not capped"' -d 'How node and txn data is shown'
complete -c zabra -n $dump -l data-cap -x -d 'Bytes of data shown with --data text|hex (default 64)'
complete -c zabra -n $dump -l local-time -d 'Show times in the local time zone instead of UTC'
complete -c zabra -n "$dump; and not __fish_seen_argument -l logs" -l snapshot -d 'For a data dir: print the newest snapshot'
complete -c zabra -n "$dump; and not __fish_seen_argument -l snapshot" -l logs -d 'For a data dir: print the txn logs (default)'
complete -c zabra -n $dump -s n -l limit -x -d 'Stop after this many txns or nodes (0: no limit)'
complete -c zabra -n $dump -l from -x -d 'Only txns with zxid >= this (hex, decimal or epoch:counter)'
complete -c zabra -n $dump -l to -x -d 'Only txns with zxid <= this'
complete -c zabra -n $dump -l epoch -x -d 'Only txns of these epochs (comma-separated)'
complete -c zabra -n $dump -l session -x -d 'Only txns of these sessions (0x.. or decimal)'
complete -c zabra -n $dump -l path -x -d 'Only txns and nodes under this path, or matching this glob'
complete -c zabra -n $dump -l type -x -a 'createSession closeSession create create2 createContainer createTTL delete deleteContainer setData setACL reconfig check multi error' -d 'Only txns of these types'
complete -c zabra -n $dump -s F -l follow -d 'Keep printing txns as they are appended, across log rolls'
complete -c zabra -n $dump -l max-record -x -d 'Largest record or data length accepted, in bytes (default 2097150)'
complete -c zabra -n $dump -l start-index -x -d 'etcd: only entries with index >= this'
complete -c zabra -n $dump -l end-index -x -d 'etcd: only entries with index < this'
complete -c zabra -n $dump -l term -x -d 'etcd: only entries of these raft terms (comma-separated)'
complete -c zabra -n $dump -l entry-type -x -a 'ConfigChange Normal Request InternalRaftRequest IRRRange IRRPut IRRDeleteRange IRRTxn IRRCompaction IRRLeaseGrant IRRLeaseRevoke IRRLeaseCheckpoint' -d 'etcd: only entries of these types (etcd-dump-logs names)'
complete -c zabra -n $dump -l show-secrets -d 'etcd: print passwords, password hashes and auth tokens'

# verify [OPTIONS] PATH...: PATH is a data dir, a log or a snapshot.
set -l verify '__fish_seen_subcommand_from verify'
complete -c zabra -n $verify -F
complete -c zabra -n $verify -s h -l help -d 'Print a summary of the options and exit'
complete -c zabra -n $verify -l json -d 'JSON Lines: one object per finding, then a summary'
complete -c zabra -n $verify -l no-replay -d 'Skip replaying the logs (no digest check)'
complete -c zabra -n $verify -s q -l quiet -d 'Leave out notes (info findings)'
complete -c zabra -n $verify -l max-record -x -d 'Largest record or data length accepted, in bytes (default 2097150)'

# stats [OPTIONS] PATH...
set -l stats '__fish_seen_subcommand_from stats'
complete -c zabra -n $stats -F
complete -c zabra -n $stats -s h -l help -d 'Print a summary of the options and exit'
complete -c zabra -n $stats -s d -l depth -x -d 'Path depth for the per-path and per-subtree tables (1)'
complete -c zabra -n $stats -l top -x -d 'Rows per table in text output (10)'
complete -c zabra -n $stats -l json -d 'One JSON object per summary'
complete -c zabra -n $stats -l logs -d 'For a data dir: only the logs'
complete -c zabra -n $stats -l snapshot -d 'For a data dir: only the newest snapshot'

# diff [OPTIONS] SNAPSHOT_A SNAPSHOT_B | DATA_DIR ZXID_A ZXID_B
set -l diff '__fish_seen_subcommand_from diff'
complete -c zabra -n $diff -F
complete -c zabra -n $diff -s h -l help -d 'Print a summary of the options and exit'
complete -c zabra -n $diff -l json -d 'One JSON object per changed node, then a summary'
complete -c zabra -n $diff -l ignore-ephemerals -d 'Leave out ephemeral nodes'

# pack [OPTIONS] -o BUNDLE DIR [LOGDIR]
set -l pack '__fish_seen_subcommand_from pack'
complete -c zabra -n $pack -a '(__fish_complete_directories)'
complete -c zabra -n $pack -s h -l help -d 'Print a summary of the options and exit'
complete -c zabra -n $pack -s o -l output -r -d 'Bundle to write'
complete -c zabra -n $pack -s l -l level -x -d 'zstd compression level (3)'
complete -c zabra -n $pack -l force -d 'Replace the bundle if it exists'

# plan (--leader DIR | --leader-state FILE) (--learner DIR | --peer-zxid ZXID)
set -l plan '__fish_seen_subcommand_from plan'
complete -c zabra -n $plan -s h -l help -d 'Print a summary of the options and exit'
complete -c zabra -n $plan -l leader -x -a '(__fish_complete_directories)' -d "The leader's data dir"
complete -c zabra -n $plan -l learner -x -a '(__fish_complete_directories)' -d "The learner's data dir"
complete -c zabra -n $plan -l follower -x -a '(__fish_complete_directories)' -d "etcd: the follower's data dir (same as --learner)"
complete -c zabra -n $plan -l catch-up-entries -x -d 'etcd: entries a leader keeps before its newest snapshot (5000)'
complete -c zabra -n $plan -l peer-zxid -x -d "The learner's zxid"
complete -c zabra -n $plan -l leader-state -r -F -d 'What-if: the leader as a JSON file'
complete -c zabra -n $plan -l commit-log-count -x -d 'zookeeper.commitLogCount (500)'
complete -c zabra -n $plan -l snapshot-size-factor -x -d 'zookeeper.snapshotSizeFactor (0.33)'
complete -c zabra -n $plan -l force-snap-sync -d 'zookeeper.forceSnapshotSync'
complete -c zabra -n $plan -l json -d 'Print one JSON object'

# rollback [OPTIONS] DIR [--log-dir LOG_DIR] --to ZXID|INDEX | rollback [OPTIONS] --config ZOO_CFG [DIR] --to ZXID
#   | rollback [OPTIONS] --undo BACKUP_DIR
set -l rollback '__fish_seen_subcommand_from rollback'
complete -c zabra -n $rollback -a '(__fish_complete_directories)'
complete -c zabra -n $rollback -s h -l help -d 'Print a summary of the options and exit'
complete -c zabra -n $rollback -l to -x -d 'The last zxid (etcd: raft index) to keep'
complete -c zabra -n $rollback -l undo -x -a '(__fish_complete_directories)' -d 'Restore what a rollback or repair backed up in this dir'
complete -c zabra -n $rollback -s y -l yes -d 'Apply the plan (the default is a dry run)'
complete -c zabra -n $rollback -l force -d 'Go on although a server seems to be using the dir'
complete -c zabra -n $rollback -l json -d 'Print the plan and what was done as one JSON object'
complete -c zabra -n $rollback -l below-commit -d 'etcd: allow an index below the commit index (replace the member afterwards)'
complete -c zabra -n $rollback -l log-dir -x -a '(__fish_complete_directories)' -d "ZooKeeper: the server's dataLogDir, when its txn logs are not in the data dir"
complete -c zabra -n $rollback -l config -r -F -d 'ZooKeeper: read dataDir and dataLogDir from this zoo.cfg'

complete -c zabra -n "not __fish_seen_subcommand_from $commands" -a top -d 'Watch a running ZooKeeper ensemble'

# top [OPTIONS] (SERVERS | --config FILE)
set -l top '__fish_seen_subcommand_from top'
complete -c zabra -n $top -s h -l help -d 'Print a summary of the options and exit'
complete -c zabra -n $top -l config -r -F -d 'Take the servers from this zoo.cfg'
complete -c zabra -n $top -l once -d 'Poll once, print, exit (batch mode)'
complete -c zabra -n $top -l json -d 'Batch mode: a JSON array per sample'
complete -c zabra -n $top -s i -l interval -x -d 'Seconds between polls (1)'
complete -c zabra -n $top -s n -l count -x -d 'Batch mode: stop after this many samples'
complete -c zabra -n $top -l timeout -x -d 'Seconds a server may take to answer'
complete -c zabra -n $top -l no-mntr -d 'Only srvr (cheaper)'
complete -c zabra -n $top -l admin-port -x -d 'AdminServer port asked where srvr is not whitelisted (8080; 0 never)'

# repair [OPTIONS] DIR [--log-dir LOG_DIR] | repair [OPTIONS] --config ZOO_CFG [DIR]
set -l repair '__fish_seen_subcommand_from repair'
complete -c zabra -n $repair -a '(__fish_complete_directories)'
complete -c zabra -n $repair -s h -l help -d 'Print a summary of the options and exit'
complete -c zabra -n $repair -s y -l yes -d 'Apply the repairs (the default is a dry run)'
complete -c zabra -n $repair -l force -d 'Go on although a server seems to be using the dir'
complete -c zabra -n $repair -l json -d 'Print the plan and what was done as one JSON object'
complete -c zabra -n $repair -l log-dir -x -a '(__fish_complete_directories)' -d "The server's dataLogDir, when its txn logs are not in the data dir"
complete -c zabra -n $repair -l config -r -F -d 'Read dataDir and dataLogDir from this zoo.cfg'
