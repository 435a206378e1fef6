// Benchmark helper (not a test): writes a large ZooKeeper data dir for
// scripts/bench-plan: LOGS logs of 64 MiB, each full of setData txns with
// 1 KiB of data, zxids contiguous in epoch 1, framed and preallocated exactly
// as ZooKeeper writes them, plus a snapshot at the start and an epoch file.
//
//   zabra_make_big_data_dir DIR [--logs N]
#include "libformat/zab/snapshot.h"
#include "libformat/zab/snapshot_writer.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_writer.h"
#include "libformat/zab/data_dir.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace zabra;
using namespace zabra::zab;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc < 2) {
        fmt::print(stderr, "usage: {} DIR [--logs N]\n", argv[0]);
        return 2;
    }
    const fs::path v2 = fs::path(argv[1]) / "version-2";
    int logs = 80;
    if (argc >= 4 && std::string(argv[2]) == "--logs") logs = std::stoi(argv[3]);
    fs::create_directories(v2);
    constexpr std::uint64_t kLogBytes = 64ull << 20;
    const std::int64_t epoch = 1;
    std::int64_t zxid = epoch << 32;
    Snapshot snap;
    snap.nodes.push_back({"", Buffer(std::string()), -1, {}, 0});
    snap.nodes.push_back({"/zookeeper", Buffer(std::string()), -1, {}, 0});
    snap.nodes.push_back({"/big", Buffer(std::string()), -1, {}, 0});
    snap.trailer.seal1 = SnapshotSeal{};
    snap.trailer.digest = ZxidDigest{0, 2, 0, std::nullopt};
    snap.trailer.seal2 = SnapshotSeal{};
    std::ofstream(v2 / snapshot_file_name(zxid), std::ios::binary) << encode_snapshot(snap, Compression::None);
    const std::string data(1024, 'x');
    for (int l = 0; l < logs; ++l) {
        TxnLogWriter w(v2 / log_file_name(zxid + 1), {kLogBytes, 0});
        while (w.data_end() + 1200 < kLogBytes - 4096) {
            Txn t;
            t.header = {0x100, 1, ++zxid, 1700000000000, op::setData};
            t.body = SetDataTxn{"/big", data, static_cast<std::int32_t>(zxid & 0x7fffffff)};
            w.append(t);
        }
        w.close();
    }
    std::ofstream(v2 / "currentEpoch") << epoch;
    std::ofstream(v2 / "acceptedEpoch") << epoch;
    fmt::print("{}: {} logs, last zxid 0x{:x}\n", v2.string(), logs, zxid);
    return 0;
}
