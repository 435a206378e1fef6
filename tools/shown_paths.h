// Paths as the user gave them. Bundles and .zst files are unpacked into a
// private temp dir (tools/inputs.h); what a command prints about the files in
// it must name the bundle ("zk1.tar.zst:version-2/log.100000001"), never a
// temp path that is gone when the command ends. A ShownPaths stream filter
// rewrites the temp prefixes in every line a command writes.
#pragma once

#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

namespace zabra::tools {

// (temp path, as shown) pairs; longest temp paths are tried first.
using PathNames = std::vector<std::pair<std::string, std::string>>;

// A streambuf that passes whole lines on to `target` with the names replaced.
class ShownPathsBuf final : public std::streambuf {
public:
    ShownPathsBuf(std::streambuf* target, PathNames names);
    ~ShownPathsBuf() override;

protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

private:
    void flush_line();

    std::streambuf* m_target;
    PathNames m_names;
    std::string m_line;
};

// Replaces the names in `text` (one line or many).
std::string show_paths(std::string text, const PathNames& names);

}  // namespace zabra::tools
