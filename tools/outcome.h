// What a subcommand found; tools/main.cpp alone turns it into an exit code.
#pragma once

namespace zabra::tools {

enum class [[nodiscard]] Outcome {
    Ok,          // everything read was clean (a torn tail is normal and reported)
    DataDamage,  // damaged records, failed seals, or txns ZooKeeper could not replay (unknown type, bad multi op)
    BadInput,    // an input could not be opened or read
    Usage,       // an input is neither ZooKeeper nor etcd data (the wrong path was given)
};

// The outcome of several inputs: the worst one.
inline Outcome worst(Outcome a, Outcome b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

// What rollback and repair did (fsck-style exit bits in tools/main.cpp).
enum class [[nodiscard]] MutateOutcome {
    NothingToDo,       // already as asked, or undone
    Applied,           // changes made (a backup and a journal kept)
    ChangesNeeded,     // a dry run with changes to make, or damage left unrepaired
    OperationalError,  // I/O failure, unreadable input, a journal that does not match
    Refused,           // a live server, a zxid not in the logs, an unsafe request
    Usage,             // an argument that does not parse
};

}  // namespace zabra::tools
