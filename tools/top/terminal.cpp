#include "tools/top/terminal.h"

#include <curses.h>

#include <clocale>
#include <cstdlib>

namespace zabra::tools::top {

namespace {
bool g_colors = false;
bool g_active = false;
}  // namespace

Terminal::Terminal() {
    std::setlocale(LC_ALL, "");
    ::initscr();
    g_active = true;
    ::cbreak();
    ::noecho();
    ::keypad(stdscr, TRUE);
    ::curs_set(0);
    g_colors = std::getenv("NO_COLOR") == nullptr && ::has_colors();
    if (g_colors) {
        ::start_color();
        ::use_default_colors();
        ::init_pair(1, COLOR_GREEN, -1);
        ::init_pair(2, COLOR_YELLOW, -1);
        ::init_pair(3, COLOR_RED, -1);
        ::init_pair(4, COLOR_BLUE, -1);
        ::init_pair(5, COLOR_CYAN, -1);
    }
}

Terminal::~Terminal() {
    if (g_active) ::endwin();
    g_active = false;
}

void Terminal::emergency_restore() {
    if (g_active) ::endwin();
    g_active = false;
}

int Terminal::rows() const { return LINES; }
int Terminal::cols() const { return COLS; }
void Terminal::wipe() { ::werase(stdscr); }

void Terminal::put(int row, int col, const std::string& text, Color color, bool bold, bool reverse) {
    if (row < 0 || row >= LINES || col >= COLS) return;
    attr_t a = A_NORMAL;
    if (g_colors) {
        switch (color) {
        case Color::Good: a |= COLOR_PAIR(1); break;
        case Color::Warn: a |= COLOR_PAIR(2); break;
        case Color::Bad: a |= COLOR_PAIR(3) | A_BOLD; break;
        case Color::Dim: a |= COLOR_PAIR(4); break;
        case Color::Title: a |= COLOR_PAIR(5) | A_BOLD; break;
        case Color::Normal: break;
        }
    } else if (color == Color::Bad || color == Color::Title) {
        a |= A_BOLD;
    }
    if (bold) a |= A_BOLD;
    if (reverse) a |= A_REVERSE;
    wattron(stdscr, a);  // macros, not functions: no ::
    mvwaddnstr(stdscr, row, col, text.c_str(), COLS - col);
    wattroff(stdscr, a);
}

void Terminal::flush() { ::wrefresh(stdscr); }

int Terminal::key(int timeout_ms) {
    ::wtimeout(stdscr, timeout_ms);
    const int k = ::wgetch(stdscr);
    if (k == KEY_ENTER || k == '\n' || k == '\r') return kEnter;
    return k == ERR ? -1 : k;
}

}  // namespace zabra::tools::top
