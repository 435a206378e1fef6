// Shared test helpers: fixture locations, byte editing, temp dirs.
#pragma once

#include "libformat/common/bytes.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace zabra::test {

std::filesystem::path fixtures();
std::string slurp(const std::filesystem::path& p);
// A fixture's "key=value" lines (state.txt files written by the makers).
std::map<std::string, std::string> key_values(const std::filesystem::path& p);
void spit(const std::filesystem::path& p, std::string_view bytes);
std::string unhex(std::string_view hex);  // whitespace and '|' ignored

// Every file of a kind in every fixture data dir (sorted).
std::vector<std::filesystem::path> fixture_logs();
std::vector<std::filesystem::path> fixture_snapshots();

// Where ZooKeeper's own tool output for a fixture data file is kept:
// <set>/expected/<file><suffix>, or <set>/expected/serverN/... for the ensemble.
std::filesystem::path expected_for(const std::filesystem::path& data_file, const std::string& suffix);

// Runs a command (no shell interpretation of the arguments): its exit status
// (-1 if it did not exit normally) and its standard output.
struct CommandResult {
    int status = -1;
    std::string out;
};
CommandResult run_command(const std::vector<std::string>& argv);

// Runs a command with standard output and error sent to /dev/null, and
// measures it: its exit status (-1 if it did not exit normally) and its peak
// resident set size in KiB (VmHWM, read as it exits).
struct MeasuredRun {
    int status = -1;
    long peak_rss_kib = 0;
};
MeasuredRun run_measured(const std::vector<std::string>& argv);

// Copies a tree of files. Dense: every byte written, as cp --sparse=never,
// tar or rsync leave a copy (zeros on disk, no holes). Sparse: every 4 KiB
// block of zeros left as a hole, as a server's preallocation leaves it.
enum class Holes { Dense, Sparse };
void copy_tree(const std::filesystem::path& from, const std::filesystem::path& to, Holes holes);
// Grows a file to `size` with zeros, written (Dense) or as a hole (Sparse).
void extend_with_zeros(const std::filesystem::path& file, std::uint64_t size, Holes holes);

// A shell command run in the background (a stand-in for a server), in its
// own process group, its output to /dev/null so that it holds no pipe of the
// test runner. stop() (and the destructor) kills the whole group and waits
// until no process of it is left.
class BackgroundCommand {
public:
    explicit BackgroundCommand(const std::string& command);
    ~BackgroundCommand();
    BackgroundCommand(const BackgroundCommand&) = delete;
    BackgroundCommand& operator=(const BackgroundCommand&) = delete;
    void stop();

private:
    int m_pid = -1;
};

// Copies tests/fixtures/etcd/cluster/<member> into `into`/<member>, with the
// zstd-compressed WAL files restored to their original bytes; returns the copy.
std::filesystem::path restore_etcd_member(const std::string& member, const std::filesystem::path& into);

// A fresh empty dir under the system temp dir, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return m_path; }
    // path()/name, created (with its parents) if missing.
    std::filesystem::path sub(const std::string& name) const;

private:
    std::filesystem::path m_path;
};

}  // namespace zabra::test
