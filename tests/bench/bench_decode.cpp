// Micro-benchmark (not a test): txn-log throughput in MB/s of record payload.
// Builds a large log from the real fixture records (zxids renumbered, framing
// exactly as ZooKeeper's), then times framing alone, framing + decoding, and
// framing + decoding + data-tree replay. Optionally writes the log to a file
// so scripts/bench-decode can run ZooKeeper's own tools on the same bytes.
//
//   zabra_bench_decode FIXTURES_DIR [--mb N] [--runs N] [--out FILE]
#include "libformat/zab/data_dir.h"
#include "libformat/zab/data_tree.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/txnlog_writer.h"
#include "libformat/common/mapped_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace zabra;
using namespace zabra::zab;
namespace fs = std::filesystem;

namespace {

std::vector<Txn> fixture_txns(const fs::path& root) {
    std::vector<Txn> txns;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_regular_file() || e.path().parent_path().filename() != "version-2") continue;
        auto name = parse_data_file_name(e.path().filename().string());
        if (!name || name->kind != FileKind::TxnLog || !name->canonical) continue;
        MappedFile f(e.path());
        TxnLogReader r(f.bytes());
        TxnLogRecord rec;
        while (r.next(rec)) {
            Txn t = decode_txn(rec.payload);
            // Replay needs a self-consistent history; keep what replays anywhere.
            if (t.header.type != op::check) txns.push_back(std::move(t));
        }
    }
    return txns;
}

template <class F>
double best_seconds(int runs, F&& f) {
    double best = 1e30;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        const std::chrono::duration<double> d = std::chrono::steady_clock::now() - t0;
        best = std::min(best, d.count());
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        fmt::print(stderr, "usage: {} FIXTURES_DIR [--mb N] [--runs N] [--out FILE]\n", argv[0]);
        return 2;
    }
    std::uint64_t target_mb = 256;
    int runs = 5;
    std::string out_file;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--mb") target_mb = std::stoull(argv[i + 1]);
        else if (a == "--runs") runs = std::stoi(argv[i + 1]);
        else if (a == "--out") out_file = argv[i + 1];
    }
    const std::vector<Txn> base = fixture_txns(argv[1]);
    if (base.empty()) {
        fmt::print(stderr, "no fixture txns under {}\n", argv[1]);
        return 1;
    }
    // Header + records, zxids counting up from 1 in epoch 1.
    std::string log = encode_log_header();
    std::uint64_t payload_bytes = 0, records = 0;
    std::int64_t zxid = 0x100000000;
    while (payload_bytes < target_mb << 20) {
        for (Txn t : base) {
            t.header.zxid = ++zxid;
            const std::string p = encode_txn(t);
            payload_bytes += p.size();
            ++records;
            log += frame_record(as_bytes(p));
        }
    }
    log.append(4096, '\0');
    const ByteSpan bytes = as_bytes(log);

    std::uint64_t sink = 0;
    const double framing = best_seconds(runs, [&] {
        TxnLogReader r(bytes);
        TxnLogRecord rec;
        while (r.next(rec)) sink += rec.payload.size();
    });
    const double decoding = best_seconds(runs, [&] {
        TxnLogReader r(bytes);
        TxnLogRecord rec;
        while (r.next(rec)) sink += static_cast<std::uint64_t>(decode_txn(rec.payload).header.zxid);
    });
    const double replay = best_seconds(std::min(runs, 3), [&] {
        TxnLogReader r(bytes);
        TxnLogRecord rec;
        DataTree tree;
        while (r.next(rec)) tree.apply(decode_txn(rec.payload));
        sink += static_cast<std::uint64_t>(tree.digest());
    });
    const double mb = static_cast<double>(payload_bytes) / (1 << 20);
    fmt::print("log: {} records, {:.1f} MiB of payload ({:.1f} MiB file), best of {} runs\n", records, mb,
               static_cast<double>(log.size()) / (1 << 20), runs);
    fmt::print("framing + Adler-32           {:8.1f} MB/s of payload  ({:.3f} s)\n", mb / framing, framing);
    fmt::print("framing + decoding           {:8.1f} MB/s of payload  ({:.3f} s, {:.2f} M txns/s)\n", mb / decoding,
               decoding, static_cast<double>(records) / decoding / 1e6);
    fmt::print("framing + decoding + replay  {:8.1f} MB/s of payload  ({:.3f} s)\n", mb / replay, replay);
    if (!out_file.empty()) {
        std::ofstream(out_file, std::ios::binary).write(log.data(), static_cast<std::streamsize>(log.size()));
        fmt::print("wrote {}\n", out_file);
    }
    return sink == 42 ? 1 : 0;  // keep the work observable
}
