// Writes a large ZooKeeper data dir, for scripts/bench-plan and the memory
// tests: LOGS logs of 64 MiB (--log-bytes), each full (or --fill bytes) of
// setData txns with 1 KiB of data, zxids contiguous in epoch 1, framed and
// preallocated exactly as ZooKeeper writes them, plus a snapshot at the start
// and the epoch files. --dense writes the preallocated tail as real zeros, as
// a copy (cp, tar, rsync) of the dir has them, instead of leaving a hole.
//
//   zabra_make_big_data_dir DIR [--logs N] [--log-bytes B] [--fill B] [--dense]
#include "libformat/zab/snapshot.h"
#include "libformat/zab/snapshot_writer.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_writer.h"
#include "libformat/zab/data_dir.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <unistd.h>

using namespace zabra;
using namespace zabra::zab;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc < 2) {
        fmt::print(stderr, "usage: {} DIR [--logs N] [--log-bytes B] [--fill B] [--dense]\n", argv[0]);
        return 2;
    }
    const fs::path v2 = fs::path(argv[1]) / "version-2";
    int logs = 80;
    std::uint64_t log_bytes = 64ull << 20;
    std::uint64_t fill = 0;  // 0: the whole log
    bool dense = false;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--dense") {
            dense = true;
        } else if (i + 1 < argc && (a == "--logs" || a == "--log-bytes" || a == "--fill")) {
            const std::uint64_t v = std::stoull(argv[++i]);
            if (a == "--logs") logs = static_cast<int>(v);
            if (a == "--log-bytes") log_bytes = v;
            if (a == "--fill") fill = v;
        } else {
            fmt::print(stderr, "{}: unknown argument {}\n", argv[0], a);
            return 2;
        }
    }
    if (fill == 0 || fill > log_bytes) fill = log_bytes;
    fs::create_directories(v2);
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
        const fs::path path = v2 / log_file_name(zxid + 1);
        TxnLogWriter w(path, {log_bytes, 0});
        while (w.data_end() + 1200 < fill - 4096) {
            Txn t;
            t.header = {0x100, 1, ++zxid, 1700000000000, op::setData};
            t.body = SetDataTxn{"/big", data, static_cast<std::int32_t>(zxid & 0x7fffffff)};
            w.append(t);
        }
        const std::uint64_t data_end = w.data_end();
        w.close();
        if (dense) {  // write every zero of the preallocated tail
            const int fd = ::open(path.c_str(), O_WRONLY);
            const std::string zeros(1 << 20, '\0');
            const std::uint64_t size = fs::file_size(path);
            for (std::uint64_t at = data_end; at < size;) {
                const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size - at));
                if (fd < 0 || ::pwrite(fd, zeros.data(), n, static_cast<off_t>(at)) != static_cast<ssize_t>(n)) {
                    fmt::print(stderr, "cannot write {}\n", path.string());
                    return 1;
                }
                at += n;
            }
            ::close(fd);
        }
    }
    std::ofstream(v2 / "currentEpoch") << epoch;
    std::ofstream(v2 / "acceptedEpoch") << epoch;
    fmt::print("{}: {} logs, last zxid 0x{:x}\n", v2.string(), logs, zxid);
    return 0;
}
