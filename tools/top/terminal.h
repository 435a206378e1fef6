// The one file that talks to ncurses: zabra top draws through this.
#pragma once

#include <string>

namespace zabra::tools::top {

enum class Color { Normal, Good, Warn, Bad, Dim, Title };

class Terminal {
public:
    // Enters curses mode (colours off with NO_COLOR, or when the terminal has none).
    Terminal();
    ~Terminal();  // restores the terminal
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    int rows() const;
    int cols() const;
    void wipe();
    // Text at (row, col), cut at the right edge.
    void put(int row, int col, const std::string& text, Color color = Color::Normal, bool bold = false, bool reverse = false);
    void flush();
    // A key, or -1 after `timeout_ms`. kResize when the window changed size.
    int key(int timeout_ms);
    static constexpr int kResize = 0x19a;  // KEY_RESIZE
    static constexpr int kUp = 0403, kDown = 0402, kEnter = 0527;

    // Restores the terminal from a signal handler (crash, SIGTERM).
    static void emergency_restore();
};

}  // namespace zabra::tools::top
