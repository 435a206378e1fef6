#include "tools/inputs.h"

#include "libformat/common/error.h"
#include "libformat/common/mapped_file.h"
#include "libformat/common/zstd_codec.h"
#include "libformat/pack/bundle.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <vector>

namespace zabra::tools {

namespace fs = std::filesystem;

Inputs::~Inputs() {
    if (!m_temp.empty()) {
        std::error_code ec;
        fs::remove_all(m_temp, ec);
    }
}

fs::path Inputs::temp_dir() {
    if (m_temp.empty()) {
        std::string tmpl = (fs::temp_directory_path() / "zabra-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a temp dir in " + tmpl);
        m_temp = tmpl;
    }
    const fs::path d = m_temp / std::to_string(m_count++);
    fs::create_directory(d);
    return d;
}

std::vector<std::string> Inputs::resolve(const std::vector<std::string>& paths) {
    std::vector<std::string> out;
    for (const auto& p : paths) {
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) {
            out.push_back(p);
            continue;
        }
        MappedFile m(p);
        if (!is_zstd(m.bytes())) {
            out.push_back(p);
            continue;
        }
        try {
            const fs::path dir = temp_dir();
            if (pack::is_bundle(m.bytes())) {
                pack::extract_bundle(m.bytes(), dir);
                out.push_back(dir.string());
                m_names.emplace_back(dir.string() + "/", p + ":");
                m_names.emplace_back(dir.string(), p);
                continue;
            }
            // One compressed file: log.100000001.zst -> log.100000001
            std::string name = fs::path(p).filename().string();
            if (name.ends_with(".zst")) name.resize(name.size() - 4);
            const fs::path target = dir / name;
            auto src = make_zstd_source(m.bytes());
            std::ofstream f(target, std::ios::binary);
            std::vector<std::uint8_t> buf(1 << 16);
            for (std::size_t n; (n = src->read(buf.data(), buf.size())) > 0;) {
                f.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
            }
            if (!f) throw std::runtime_error("cannot write " + target.string());
            out.push_back(target.string());
            m_names.emplace_back(target.string(), p);
        } catch (const FormatError& e) {
            throw std::runtime_error(fmt::format("{}: damaged zstd data: {}", p, e.what()));
        }
    }
    return out;
}

}  // namespace zabra::tools
