#include "helpers.h"

#include "libformat/common/zstd_codec.h"
#include "libformat/zab/data_dir.h"

#include <sys/wait.h>

#include <cstdio>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace zabra::test {

namespace fs = std::filesystem;

fs::path fixtures() { return ZABRA_FIXTURES; }

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

std::filesystem::path restore_etcd_member(const std::string& member, const std::filesystem::path& into) {
    namespace fs = std::filesystem;
    const fs::path from = fixtures() / "etcd" / "cluster" / member;
    const fs::path to = into / member;
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
