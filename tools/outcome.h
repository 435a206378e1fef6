// What a subcommand found; tools/main.cpp alone turns it into an exit code.
#pragma once

namespace zabra::tools {

enum class Outcome {
    Ok,          // everything read was clean (a torn tail is normal and reported)
    DataDamage,  // damaged records, failed seals or undecodable data were found
    BadInput,    // an input could not be opened or is not ZooKeeper data
};

}  // namespace zabra::tools
