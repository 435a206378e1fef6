// zabra pack: bundles are small, and every command reads them as the dir.
#include "helpers.h"
#include "libformat/common/zstd_codec.h"
#include "libformat/pack/bundle.h"
#include "libformat/zab/data_dir.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/txnlog_writer.h"
#include "libformat/zab/verify.h"
#include "tools/cmd_dump.h"
#include "tools/inputs.h"

#include <doctest/doctest.h>

#include <cstring>
#include <regex>
#include <sstream>

using namespace zabra;
namespace fs = std::filesystem;

namespace {

// The standalone fixture with every log rewritten with ZooKeeper's default
// 64 MiB preallocation (byte-identical otherwise: see the writer tests).
fs::path make_64mib_dir(const fs::path& root) {
    const fs::path v2 = root / "data/version-2";
    fs::create_directories(v2);
    const zab::DataDir d = zab::list_data_dir(test::fixtures() / "zk/standalone/data");
    for (const auto& s : d.snapshots) fs::copy_file(s.path, v2 / s.path.filename());
    for (const auto& l : d.logs) {
        const std::string bytes = test::slurp(l.path);
        zab::TxnLogWriter w(v2 / l.path.filename(), {.prealloc_bytes = 64ull << 20});
        zab::TxnLogReader r(as_bytes(bytes));
        zab::TxnLogRecord rec;
        while (r.next(rec)) w.append_payload(rec.payload);
        w.close();
    }
    return root / "data";
}

std::string dump_json(const std::string& path, const std::string& strip) {
    tools::DumpOptions o;
    o.paths = {path};
    o.format = tools::DumpFormat::Json;
    std::ostringstream out, err;
    CHECK(tools::run_dump(o, out, err) == tools::Outcome::Ok);
    std::string s = out.str();
    for (std::size_t at; (at = s.find(strip)) != std::string::npos;) s.erase(at, strip.size());
    return s;
}

}  // namespace

TEST_CASE("a packed data dir with 64 MiB-preallocated logs is under 5% of its size and reads the same") {
    test::TempDir tmp;
    const fs::path dir = make_64mib_dir(tmp.path());
    std::uint64_t dir_bytes = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) dir_bytes += e.file_size();
    }
    CHECK(dir_bytes > 9 * (64ull << 20));
    const fs::path bundle = tmp.path() / "zk.tar.zst";
    const pack::PackReport r = pack::pack_data_dirs({dir}, bundle);
    CHECK(r.bundle_bytes == fs::file_size(bundle));
    CHECK(static_cast<double>(r.bundle_bytes) < 0.05 * static_cast<double>(dir_bytes));
    CHECK_FALSE(fs::exists(bundle.string() + ".tmp"));

    tools::Inputs inputs;
    const std::string extracted = inputs.resolve({bundle.string()}).at(0);
    CHECK(extracted != bundle.string());
    // Every file comes back byte for byte, preallocated size included.
    for (const auto& e : fs::directory_iterator(dir / "version-2")) {
        CAPTURE(e.path());
        CHECK(test::slurp(fs::path(extracted) / "version-2" / e.path().filename()) == test::slurp(e.path()));
    }
    CHECK(dump_json(extracted, extracted) == dump_json(dir.string(), dir.string()));
    const zab::VerifyReport a = zab::verify({dir});
    const zab::VerifyReport b = zab::verify({fs::path(extracted)});
    CHECK(a.findings.size() == b.findings.size());
    CHECK(a.stats.records == b.stats.records);
    CHECK(a.stats.digests_compared == b.stats.digests_compared);
    CHECK(a.stats.chosen_snapshot->filename() == b.stats.chosen_snapshot->filename());
}

TEST_CASE("a single zstd-compressed log is read directly") {
    test::TempDir tmp;
    const fs::path log = test::fixtures() / "zk/standalone/data/version-2/log.1";
    const std::string bytes = test::slurp(log);
    std::string compressed;
    ZstdWriter z(3, [&](ByteSpan b) { compressed.append(as_chars(b)); });
    z.write(as_bytes(bytes));
    z.finish();
    test::spit(tmp.path() / "log.1.zst", compressed);
    tools::Inputs inputs;
    const std::string plain = inputs.resolve({(tmp.path() / "log.1.zst").string()}).at(0);
    CHECK(fs::path(plain).filename() == "log.1");
    CHECK(test::slurp(plain) == bytes);
}

TEST_CASE("hostile bundles are refused: names escaping the dir, damage, truncation") {
    test::TempDir tmp;
    auto zst = [](const std::string& raw) {
        std::string out;
        ZstdWriter z(1, [&](ByteSpan b) { out.append(as_chars(b)); });
        z.write(as_bytes(raw));
        z.finish();
        return out;
    };
    // A ustar header naming ../evil.
    std::string h(512, '\0');
    std::memcpy(h.data(), "../evil", 7);
    std::memcpy(h.data() + 124, "00000000004", 11);
    h[156] = '0';
    std::memcpy(h.data() + 257, "ustar", 5);
    const std::string evil = zst(h + std::string("boom") + std::string(508 + 1024, '\0'));
    fs::create_directories(tmp.path() / "out");
    CHECK_THROWS_AS(pack::extract_bundle(as_bytes(evil), tmp.path() / "out"), FormatError);
    CHECK_FALSE(fs::exists(tmp.path() / "evil"));

    pack::pack_data_dirs({test::fixtures() / "zk/legacy/data"}, tmp.path() / "b.tar.zst");
    const std::string good = test::slurp(tmp.path() / "b.tar.zst");
    fs::create_directories(tmp.path() / "cut");
    CHECK_THROWS_AS(pack::extract_bundle(as_bytes(good).subspan(0, good.size() / 2), tmp.path() / "cut"),
                    FormatError);
}

TEST_CASE("what commands print about a bundle names the bundle, never the temp dir it is unpacked into") {
    test::TempDir tmp;
    const fs::path bundle = tmp.path() / "zk1.tar.zst";
    pack::pack_data_dirs({test::fixtures() / "zk" / "standalone" / "data"}, bundle);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"verify", "--json"}, {"dump", "--format", "json"}, {"stats"}}) {
        std::vector<std::string> a{ZABRA_BINARY};
        a.insert(a.end(), args.begin(), args.end());
        a.push_back(bundle.string());
        CAPTURE(a);
        const test::CommandResult r = test::run_command(a);
        CHECK(r.status != 2);
        CHECK(r.status != 3);
        CHECK(r.out.find(bundle.string() + ":version-2") != std::string::npos);
        // Inputs unpacks into <tmp>/zabra-XXXXXX/<n>.
        CHECK_FALSE(std::regex_search(r.out, std::regex("/zabra-[A-Za-z0-9]{6}/[0-9]")));
    }
}
