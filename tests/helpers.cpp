#include "helpers.h"

#include "libformat/common/zstd_codec.h"
#include "libformat/zab/data_dir.h"

#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace zabra::test {

namespace fs = std::filesystem;

fs::path fixtures() { return ZABRA_FIXTURES; }

std::map<std::string, std::string> key_values(const fs::path& p) {
    std::map<std::string, std::string> kv;
    std::istringstream in(slurp(p));
    for (std::string line; std::getline(in, line);) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return kv;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::move(ss).str();
}

void spit(const fs::path& p, std::string_view bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string unhex(std::string_view hex) {
    std::string out;
    int nibble = -1;
    for (char c : hex) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (nibble < 0) {
            nibble = v;
        } else {
            out.push_back(static_cast<char>(nibble * 16 + v));
            nibble = -1;
        }
    }
    return out;
}

namespace {

std::vector<fs::path> fixture_files(zab::FileKind kind) {
    std::vector<fs::path> out;
    const fs::path root = fixtures() / "zk";
    if (!fs::exists(root)) return out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_regular_file() || e.path().parent_path().filename() != "version-2") continue;
        auto name = zab::parse_data_file_name(e.path().filename().string());
        if (name && name->kind == kind && name->canonical) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

std::vector<fs::path> fixture_logs() { return fixture_files(zab::FileKind::TxnLog); }
std::vector<fs::path> fixture_snapshots() { return fixture_files(zab::FileKind::Snapshot); }

fs::path expected_for(const fs::path& data_file, const std::string& suffix) {
    const fs::path owner = data_file.parent_path().parent_path().parent_path();  // <set> or <set>/serverN
    const std::string name = data_file.filename().string() + suffix;
    if (fs::exists(owner / "expected")) return owner / "expected" / name;
    return owner.parent_path() / "expected" / owner.filename() / name;
}

TempDir::TempDir() {
    std::random_device rd;
    m_path = fs::temp_directory_path() / ("zabra-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(m_path);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

std::filesystem::path TempDir::sub(const std::string& name) const {
    const std::filesystem::path p = m_path / name;
    std::filesystem::create_directories(p);
    return p;
}

CommandResult run_command(const std::vector<std::string>& argv) {
    std::string cmd;
    for (const auto& a : argv) {
        std::string quoted = "'";
        for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        cmd += quoted + "' ";
    }
    cmd += "2>/dev/null";
    CommandResult r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    const int status = ::pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

namespace {

// VmHWM of a process, in KiB: the peak resident size of its current image.
long peak_rss_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
    }
    return 0;
}

}  // namespace

MeasuredRun run_measured(const std::vector<std::string>& argv) {
    // Not getrusage: a forked child's ru_maxrss counts the pages it shared
    // with this (large) test process before exec. The child is traced
    // instead, and its VmHWM read when it stops at its exit, its image intact.
    MeasuredRun r;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return r;
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
        ::execv(args[0], args.data());  // stops with SIGTRAP once the new image is loaded
        ::_exit(127);
    }
    int status = 0;
    bool options_set = false;
    for (;;) {
        if (::waitpid(pid, &status, 0) < 0) {
            if (errno == EINTR) continue;
            return r;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) break;
        if (!WIFSTOPPED(status)) continue;
        int forward = 0;
        if (!options_set && WSTOPSIG(status) == SIGTRAP) {
            ::ptrace(PTRACE_SETOPTIONS, pid, nullptr, reinterpret_cast<void*>(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL));
            options_set = true;
        } else if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
            r.peak_rss_kib = peak_rss_of(pid);
        } else {
            forward = WSTOPSIG(status);
        }
        ::ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(forward)));
    }
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

BackgroundCommand::BackgroundCommand(const std::string& command) {
    m_pid = ::fork();
    if (m_pid == 0) {
        ::setpgid(0, 0);
        const int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    if (m_pid > 0) ::setpgid(m_pid, m_pid);  // also here: no race with the kill in stop()
}

BackgroundCommand::~BackgroundCommand() { stop(); }

void BackgroundCommand::stop() {
    if (m_pid <= 0) return;
    ::kill(-m_pid, SIGKILL);
    while (::waitpid(m_pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    // Its children are reaped by init: wait until the group is empty.
    for (int i = 0; i < 500 && ::kill(-m_pid, 0) == 0; ++i) ::usleep(10000);
    m_pid = -1;
}

namespace {

// Writes `bytes` at the end of fd, leaving 4 KiB blocks of zeros as holes when sparse.
void write_blocks(int fd, std::string_view bytes, std::uint64_t at, Holes holes) {
    constexpr std::size_t kBlock = 4096;
    for (std::size_t i = 0; i < bytes.size(); i += kBlock) {
        const std::string_view block = bytes.substr(i, kBlock);
        if (holes == Holes::Sparse && block.find_first_not_of('\0') == std::string_view::npos) continue;
        if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(at + i)) != static_cast<ssize_t>(block.size())) {
            throw std::runtime_error("short write");
        }
    }
}

}  // namespace

void extend_with_zeros(const fs::path& file, std::uint64_t size, Holes holes) {
    const int fd = ::open(file.c_str(), O_WRONLY);
    if (fd < 0) throw std::runtime_error("cannot open " + file.string());
    struct stat st {};
    ::fstat(fd, &st);
    std::uint64_t at = static_cast<std::uint64_t>(st.st_size);
    if (holes == Holes::Dense) {
        const std::string zeros(1 << 20, '\0');
        for (; at < size; at += zeros.size()) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size - at));
            write_blocks(fd, std::string_view(zeros).substr(0, n), at, holes);
        }
    }
    const bool ok = ::ftruncate(fd, static_cast<off_t>(size)) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot extend " + file.string());
}

void copy_tree(const fs::path& from, const fs::path& to, Holes holes) {
    fs::create_directories(to);
    for (const auto& e : fs::recursive_directory_iterator(from)) {
        const fs::path target = to / fs::relative(e.path(), from);
        if (e.is_directory()) {
            fs::create_directories(target);
            continue;
        }
        if (!e.is_regular_file()) continue;
        const std::string bytes = slurp(e.path());
        const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) throw std::runtime_error("cannot create " + target.string());
        write_blocks(fd, bytes, 0, holes);
        const bool ok = ::ftruncate(fd, static_cast<off_t>(bytes.size())) == 0;
        ::close(fd);
        if (!ok) throw std::runtime_error("cannot size " + target.string());
    }
}

std::filesystem::path restore_etcd_member(const std::string& member, const std::filesystem::path& into) {
    namespace fs = std::filesystem;
    const fs::path from = fixtures() / "etcd" / "cluster" / member;
    const fs::path to = into / member;
    fs::create_directories(into);
    fs::copy(from, to, fs::copy_options::recursive);
    std::vector<fs::path> packed_files;
    for (const auto& e : fs::recursive_directory_iterator(to)) {
        if (e.path().extension() == ".zst") packed_files.push_back(e.path());
    }
    for (const fs::path& p : packed_files) {
        const std::string packed = slurp(p);
        auto src = make_zstd_source(as_bytes(packed));
        std::ofstream out(fs::path(p).replace_extension(""), std::ios::binary);
        std::vector<std::uint8_t> buf(1 << 20);
        while (const std::size_t n = src->read(buf.data(), buf.size())) {
            out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
        }
        out.close();
        fs::remove(p);
    }
    return to;
}

}  // namespace zabra::test
