// Data as operators hand it over: copies made with cp, tar or rsync have no
// holes, so the preallocated tails of ZooKeeper logs and etcd segments are
// real zeros on disk. Every command must read such a copy exactly as the
// original, in the same flat memory.
#include "helpers.h"

#include <doctest/doctest.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/stat.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace zabra::test;

namespace {

constexpr std::uint64_t kZooKeeperPrealloc = 64ull << 20;  // a real server's preallocation
constexpr long kPeakRssLimitKib = 64 * 1024;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMeasuringMemory = false;  // ASan's shadow and quarantine are not ours to count
#else
constexpr bool kMeasuringMemory = true;
#endif

// The fixture's ZooKeeper data dirs, with every log grown to a real server's
// 64 MiB of preallocation, as holes or as written zeros.
fs::path zookeeper_copy(const fs::path& into, Holes holes) {
    const fs::path root = into / (holes == Holes::Dense ? "dense" : "sparse");
    for (const char* set : {"standalone", "ensemble/server1", "ensemble/server2", "legacy", "check13"}) {
        const fs::path from = fixtures() / "zk" / set;
        for (const auto& e : fs::recursive_directory_iterator(from)) {
            if (e.is_directory() && e.path().filename() == "version-2") {
                const fs::path to = root / set / fs::relative(e.path(), from);
                copy_tree(e.path(), to, holes);
                for (const auto& f : fs::directory_iterator(to)) {
                    if (f.path().filename().string().starts_with("log.")) {
                        extend_with_zeros(f.path(), kZooKeeperPrealloc, holes);
                    }
                }
            }
        }
    }
    return root;
}

// Bytes a file takes on disk (holes take none).
std::uint64_t on_disk(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

std::string without(std::string text, const std::string& prefix) {
    for (std::size_t at; (at = text.find(prefix)) != std::string::npos;) text.erase(at, prefix.size());
    return text;
}

// `zabra ARGS PATH` on a sparse and on a dense copy: the same exit status and
// output (paths aside), and the dense one in flat memory.
void same_on_sparse_and_dense(const std::vector<std::string>& args, const fs::path& sparse_path,
                              const fs::path& dense_path, const fs::path& sparse_root, const fs::path& dense_root) {
    CAPTURE(sparse_path);
    CAPTURE(args[0]);
    std::vector<std::string> a{ZABRA_BINARY};
    a.insert(a.end(), args.begin(), args.end());
    a.push_back(sparse_path.string());
    const CommandResult from_sparse = run_command(a);
    a.back() = dense_path.string();
    const CommandResult from_dense = run_command(a);
    CHECK(from_sparse.status == from_dense.status);
    CHECK(!from_sparse.out.empty());
    CHECK(without(from_sparse.out, sparse_root.string()) == without(from_dense.out, dense_root.string()));
    if (kMeasuringMemory) {
        const MeasuredRun m = run_measured(a);
        CHECK(m.status == from_dense.status);
        CHECK(m.peak_rss_kib <= kPeakRssLimitKib);
    }
}

std::vector<fs::path> version2_dirs(const fs::path& root) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_directory() && e.path().filename() == "version-2") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("dense copies of the ZooKeeper fixture dirs read exactly as sparse ones, in flat memory") {
    TempDir tmp;
    const fs::path sparse = zookeeper_copy(tmp.path(), Holes::Sparse);
    const fs::path dense = zookeeper_copy(tmp.path(), Holes::Dense);
    const std::vector<fs::path> dirs = version2_dirs(sparse);
    REQUIRE(dirs.size() >= 5);
    const std::vector<std::vector<std::string>> commands = {
        {"dump", "--format", "json"}, {"dump", "--format", "zk"}, {"verify", "--json"}, {"stats", "--json"}};
    for (const fs::path& sparse_dir : dirs) {
        const fs::path dense_dir = dense / fs::relative(sparse_dir, sparse);
        // A dense copy really has its zeros on disk, a sparse one does not.
        std::uintmax_t logs = 0;
        for (const auto& f : fs::directory_iterator(dense_dir)) {
            if (!f.path().filename().string().starts_with("log.")) continue;
            ++logs;
            CHECK(on_disk(f.path()) >= kZooKeeperPrealloc);
            CHECK(on_disk(sparse_dir / f.path().filename()) < kZooKeeperPrealloc / 2);
        }
        REQUIRE(logs > 0);
        for (const auto& args : commands) same_on_sparse_and_dense(args, sparse_dir, dense_dir, sparse, dense);
    }
}

TEST_CASE("dense copies of etcd members read exactly as sparse ones, in flat memory") {
    TempDir tmp;
    const fs::path dense = restore_etcd_member("e3", tmp.path() / "dense");  // written whole: 64 MB segments
    const fs::path sparse = tmp.path() / "sparse" / "e3";
    copy_tree(dense, sparse, Holes::Sparse);
    for (const auto& args : std::vector<std::vector<std::string>>{{"dump", "--format", "json"}, {"verify", "--json"}, {"stats"}}) {
        same_on_sparse_and_dense(args, sparse, dense, sparse, dense);
    }
}

TEST_CASE("a 1 GiB dense log is read by dump, verify, stats, diff and plan in at most 64 MB") {
    if (!kMeasuringMemory) return;
    TempDir tmp;
    const fs::path dir = tmp.path() / "big";
    // 256 MiB of txns, then 768 MiB of written zeros: a copy of a log
    // preallocated to 1 GiB.
    const CommandResult made = run_command({ZABRA_MAKE_BIG_DATA_DIR, dir.string(), "--logs", "1", "--log-bytes",
                                            std::to_string(1ull << 30), "--fill", std::to_string(256ull << 20),
                                            "--dense"});
    REQUIRE(made.status == 0);
    std::smatch last;
    REQUIRE(std::regex_search(made.out, last, std::regex("last zxid (0x[0-9a-f]+)")));
    const fs::path log = dir / "version-2" / "log.100000001";
    REQUIRE(fs::file_size(log) >= (1ull << 30));
    const std::string d = dir.string();
    const std::vector<std::vector<std::string>> commands = {
        {"dump", d},
        {"dump", "--format", "json", d},
        {"dump", "--format", "zk", log.string()},
        {"verify", d},
        {"stats", d},
        {"diff", d, "0x100000001", last[1].str()},
        {"plan", "--leader", d, "--peer-zxid", "0x100000002"},
    };
    for (const auto& args : commands) {
        CAPTURE(args[0]);
        std::vector<std::string> a{ZABRA_BINARY};
        a.insert(a.end(), args.begin(), args.end());
        const MeasuredRun m = run_measured(a);
        CHECK(m.status != -1);
        CHECK(m.status != 3);
        MESSAGE(fmt::format("zabra {}: exit {}, peak RSS {} KiB", fmt::join(args, " "), m.status, m.peak_rss_kib));
        CHECK(m.peak_rss_kib <= kPeakRssLimitKib);
    }
}
