// What a subcommand found; tools/main.cpp alone turns it into an exit code.
#pragma once

namespace zabra::tools {

enum class Outcome {
    Ok,          // everything read was clean (a torn tail is normal and reported)
    DataDamage,  // damaged records, failed seals, or txns ZooKeeper could not replay (unknown type, bad multi op)
    BadInput,    // an input could not be opened or is not ZooKeeper data
};

}  // namespace zabra::tools
