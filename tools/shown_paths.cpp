#include "tools/shown_paths.h"

#include <algorithm>

namespace zabra::tools {

std::string show_paths(std::string text, const PathNames& names) {
    for (const auto& [from, to] : names) {
        for (std::size_t at = 0; (at = text.find(from, at)) != std::string::npos;) {
            text.replace(at, from.size(), to);
            at += to.size();
        }
    }
    return text;
}

ShownPathsBuf::ShownPathsBuf(std::streambuf* target, PathNames names) : m_target(target), m_names(std::move(names)) {
    std::sort(m_names.begin(), m_names.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

ShownPathsBuf::~ShownPathsBuf() { sync(); }

void ShownPathsBuf::flush_line() {
    if (m_line.empty()) return;
    const std::string shown = show_paths(std::move(m_line), m_names);
    m_target->sputn(shown.data(), static_cast<std::streamsize>(shown.size()));
    m_line.clear();
}

ShownPathsBuf::int_type ShownPathsBuf::overflow(int_type c) {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    m_line.push_back(traits_type::to_char_type(c));
    if (c == '\n') flush_line();
    return c;
}

std::streamsize ShownPathsBuf::xsputn(const char* s, std::streamsize n) {
    std::string_view in(s, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = in.find('\n')) != std::string_view::npos;) {
        m_line.append(in.substr(0, nl + 1));
        flush_line();
        in.remove_prefix(nl + 1);
    }
    m_line.append(in);
    return n;
}

int ShownPathsBuf::sync() {
    flush_line();
    return m_target->pubsync();
}

}  // namespace zabra::tools
