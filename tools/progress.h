// A progress bar on stderr for long scans: drawn only when stderr is a
// terminal and stdout is not (so it never mixes with output on a screen),
// at most 10 times a second, and erased when done.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace zabra::tools {

class Progress {
public:
    explicit Progress(std::string label);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void update(std::uint64_t done, std::uint64_t total);
    bool enabled() const { return m_enabled; }

private:
    std::string m_label;
    bool m_enabled = false;
    bool m_color = false;
    bool m_drawn = false;
    std::chrono::steady_clock::time_point m_last{};
};

}  // namespace zabra::tools
