#include "tools/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace zabra::tools {

Progress::Progress(std::string label) : m_label(std::move(label)) {
    m_enabled = ::isatty(STDERR_FILENO) && !::isatty(STDOUT_FILENO) && std::getenv("CI") == nullptr;
    m_color = m_enabled && std::getenv("NO_COLOR") == nullptr;
}

Progress::~Progress() {
    if (m_drawn) std::fputs("\r\x1b[2K", stderr);
}

void Progress::update(std::uint64_t done, std::uint64_t total) {
    if (!m_enabled || total == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (m_drawn && now - m_last < std::chrono::milliseconds(100)) return;
    m_last = now;
    m_drawn = true;
    const double f = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    const int width = 30;
    const int full = static_cast<int>(f * width);
    const std::string bar = std::string(static_cast<std::size_t>(full), '#') +
                            std::string(static_cast<std::size_t>(width - full), '.');
    fmt::print(stderr, "\r{}{} [{}] {:3.0f}% {:.1f}/{:.1f} MiB{}", m_color ? "\x1b[2m" : "", m_label, bar, f * 100,
               static_cast<double>(done) / (1 << 20), static_cast<double>(total) / (1 << 20), m_color ? "\x1b[0m" : "");
    std::fflush(stderr);
}

}  // namespace zabra::tools
