#include "tools/top/draw.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace zabra::tools::top {

Collector::Collector(std::vector<Target> targets, double timeout, bool mntr, int admin_port)
    : m_targets(std::move(targets)), m_timeout(timeout), m_mntr(mntr), m_admin_port(admin_port) {}

Collector::~Collector() {
    {
        std::lock_guard lock(m_mu);
        m_stop = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

void Collector::start(double interval) {
    m_interval = interval;
    m_thread = std::thread([this] { loop(); });
}

std::vector<PollResult> Collector::take() {
    std::lock_guard lock(m_mu);
    return std::exchange(m_results, {});
}

void Collector::poll_now() {
    {
        std::lock_guard lock(m_mu);
        m_now = true;
    }
    m_cv.notify_all();
}

void Collector::set_interval(double seconds) {
    {
        std::lock_guard lock(m_mu);
        m_interval = seconds;
        m_retime = true;
    }
    m_cv.notify_all();  // a shorter interval takes effect now, not after the old wait
}

void Collector::set_paused(bool paused) {
    {
        std::lock_guard lock(m_mu);
        m_paused = paused;
    }
    m_cv.notify_all();
}

void Collector::loop() {
    for (;;) {
        double interval;
        {
            std::lock_guard lock(m_mu);
            if (m_stop) return;
            m_now = false;
            interval = m_interval;
        }
        const double started = now_seconds();
        std::vector<PollResult> got = poll_all(m_targets, std::min(m_timeout, interval), m_mntr, m_admin_port);
        std::unique_lock lock(m_mu);
        m_results.insert(m_results.end(), got.begin(), got.end());
        for (;;) {
            m_retime = false;
            const auto until = std::chrono::steady_clock::now() +
                               std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(std::max(0.0, started + m_interval - now_seconds())));
            if (!m_cv.wait_until(lock, until, [this] { return m_stop || m_now || m_retime; })) break;  // time is up
            if (m_stop || m_now) break;
        }
        while (m_paused && !m_stop && !m_now) m_cv.wait(lock);
        if (m_stop) return;
    }
}

namespace {

const char* kSort[] = {"as given", "state", "lag", "latency"};

std::string spark(const std::deque<double>& h, std::size_t width) {
    static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    if (h.empty()) return "";
    const double top = std::max(1.0, *std::max_element(h.begin(), h.end()));
    std::string out;
    const std::size_t from = h.size() > width ? h.size() - width : 0;
    for (std::size_t i = from; i < h.size(); ++i) out += bars[std::min<int>(7, static_cast<int>(h[i] / top * 7.999))];
    return out;
}

std::string opt(const std::optional<std::uint64_t>& v) { return v ? std::to_string(*v) : "-"; }

// Overlays are boxes of one width, so no row text shows around them.
std::string pad(std::string s) {
    s = " " + s;
    if (s.size() < 72) s.resize(72, ' ');
    return s;
}

Color color_of(const Row& r) {
    const std::string& s = r.sample.state;
    if (s == "leader" || s == "follower" || s == "standalone" || s == "observer") {
        return r.lag && *r.lag > 1000 ? Color::Warn : Color::Good;
    }
    return s == "not-serving" ? Color::Warn : Color::Bad;
}

}  // namespace

std::vector<std::string> Dashboard::order() const {
    std::vector<std::string> names = m_e.servers();
    auto row = [this](const std::string& n) -> const Row* {
        const auto it = m_e.rows().find(n);
        return it == m_e.rows().end() ? nullptr : &it->second;
    };
    if (m_sort == 1) {
        std::stable_sort(names.begin(), names.end(), [&](const auto& a, const auto& b) {
            return (row(a) ? row(a)->sample.state : "") < (row(b) ? row(b)->sample.state : "");
        });
    } else if (m_sort == 2) {
        std::stable_sort(names.begin(), names.end(), [&](const auto& a, const auto& b) {
            return (row(a) && row(a)->lag ? *row(a)->lag : -1) > (row(b) && row(b)->lag ? *row(b)->lag : -1);
        });
    } else if (m_sort == 3) {
        std::stable_sort(names.begin(), names.end(), [&](const auto& a, const auto& b) {
            return (row(a) && row(a)->sample.lat_avg ? *row(a)->sample.lat_avg : -1) >
                   (row(b) && row(b)->sample.lat_avg ? *row(b)->sample.lat_avg : -1);
        });
    }
    return names;
}

std::vector<std::string> Dashboard::render_rows(int width) const {
    std::vector<std::string> lines;
    lines.push_back(fmt::format("{:<22} {:<15} {:>12} {:>8} {:>16} {:>5} {:>5} {:>8} {:>7} {:>9} {:>6} {:>5} {}",
                                "SERVER", "STATE", "ZXID", "LAG", "LAT min/avg/max", "OUTST", "CONN", "ZNODES",
                                "WATCHES", "DATA", "FSYNC", "AGE", "TXN/S"));
    for (const auto& name : order()) {
        const auto it = m_e.rows().find(name);
        if (it == m_e.rows().end()) {
            lines.push_back(fmt::format("{:<22} {:<15}", name, "(waiting)"));
            continue;
        }
        const Row& r = it->second;
        const Sample& s = r.sample;
        const std::string zxid = s.zxid ? fmt::format("{}:{}", *s.zxid >> 32, *s.zxid & 0xffffffffu) : "-";
        const std::string lag = r.lag ? std::to_string(*r.lag) : r.epoch_behind ? "epoch<" : "-";
        const std::string lat = s.lat_min && s.lat_avg && s.lat_max
                                    ? fmt::format("{:g}/{:.1f}/{:g}", *s.lat_min, *s.lat_avg, *s.lat_max)
                                    : "-";
        const std::string fsync = s.fsync_avg_ms ? fmt::format("{:.1f}ms", *s.fsync_avg_ms) : "-";
        std::string line = fmt::format("{:<22} {:<15} {:>12} {:>8} {:>16} {:>5} {:>5} {:>8} {:>7} {:>9} {:>6} {:>4.1f}s {}",
                                       name.substr(0, 22), s.state.substr(0, 15), zxid, lag, lat, opt(s.outstanding),
                                       opt(s.connections), opt(s.znodes), opt(s.watches), opt(s.data_size), fsync,
                                       r.age, r.txn_rate ? fmt::format("{:.0f} ", *r.txn_rate) : "- ");
        line += spark(r.rate_history, static_cast<std::size_t>(std::max(0, width - 130)));
        lines.push_back(line);
    }
    return lines;
}

void Dashboard::draw(Terminal& term) const {
    term.wipe();
    const int w = term.cols(), h = term.rows();
    if (w < 60 || h < 8) {
        term.put(0, 0, "zabra top: the terminal is too small (need 60x8)", Color::Bad);
        term.flush();
        return;
    }
    term.put(0, 0, fmt::format("zabra top - every {:.1f}s - sort: {}{}   ? help  q quit", m_interval, kSort[m_sort],
                               m_paused ? " - PAUSED" : ""),
             Color::Title);
    const bool ok = m_e.has_quorum();
    term.put(1, 0, m_e.health_line(), ok ? Color::Good : Color::Bad, !ok);
    const std::vector<std::string> lines = render_rows(w);
    const std::vector<std::string> names = order();
    term.put(3, 0, lines[0], Color::Normal, true);
    // Rows scroll so that the selected one is always on screen.
    const std::size_t room = static_cast<std::size_t>(std::max(1, h - 9));
    const std::size_t first = m_selected >= room ? m_selected - room + 1 : 0;
    int y = 4;
    for (std::size_t i = first + 1; i < lines.size() && i <= first + room; ++i, ++y) {
        const auto it = m_e.rows().find(names[i - 1]);
        term.put(y, 0, lines[i], it == m_e.rows().end() ? Color::Dim : color_of(it->second), false, i - 1 == m_selected);
    }
    if (lines.size() - 1 > room) {
        term.put(3, std::max(0, w - 20), fmt::format(" rows {}-{} of {} ", first + 1, std::min(lines.size() - 1, first + room),
                                                     lines.size() - 1), Color::Dim);
    }
    ++y;
    term.put(y++, 0, "leader changes:", Color::Title);
    const auto& changes = m_e.leader_changes();
    if (changes.empty()) term.put(y++, 2, "none seen", Color::Dim);
    for (std::size_t i = changes.size() > 3 ? changes.size() - 3 : 0; i < changes.size() && y < h; ++i) {
        const auto& c = changes[i];
        term.put(y++, 2, fmt::format("{:.0f}s ago: {} -> {} (epoch {})", now_seconds() - c.at,
                                     c.from.empty() ? "none" : c.from, c.to.empty() ? "none" : c.to, c.epoch));
    }
    if (m_detail && m_selected < names.size()) {
        const auto it = m_e.rows().find(names[m_selected]);
        if (it != m_e.rows().end()) {
            const Sample& s = it->second.sample;
            int dy = std::max(4, h / 2);
            term.put(dy++, 4, pad(fmt::format("== {} ==", s.server)), Color::Title, false, true);
            for (const std::string& l :
                 {fmt::format("state {}   {}", s.state, s.peer_state), fmt::format("version {}", s.version),
                  fmt::format("zxid {}", s.zxid ? fmt::format("0x{:x}", *s.zxid) : "-"),
                  fmt::format("received {}  sent {}", opt(s.received), opt(s.sent)),
                  fmt::format("quorum size {}  synced followers {}", opt(s.quorum_size), opt(s.synced_followers)),
                  s.error.empty() ? std::string() : "error: " + s.error}) {
                term.put(dy++, 4, pad(l), Color::Normal, false, true);
            }
        }
    }
    if (m_help) {
        int hy = 4;
        for (const char* l : {"q quit   ? this help   j/k or arrows select   Enter details", "s sort (as given, state, lag, latency)",
                              "p pause   r refresh now   + / - interval", "lag: txns behind the leader, same epoch only"}) {
            term.put(hy++, 6, pad(l), Color::Title, false, true);
        }
    }
    term.flush();
}

void Dashboard::run(Terminal& term, Collector& collector, const std::atomic<bool>& stop) {
    collector.start(m_interval);
    bool dirty = true;
    double last_draw = 0;
    while (!stop) {
        for (const auto& r : collector.take()) {
            if (!m_paused) m_e.update(parse_poll(r));
            dirty = true;
        }
        if (dirty || now_seconds() - last_draw > 0.5) {
            m_e.settle(now_seconds());
            draw(term);
            last_draw = now_seconds();
            dirty = false;
        }
        const int k = term.key(100);
        if (k < 0) continue;
        dirty = true;
        const std::size_t n = m_e.servers().size();
        switch (k) {
        case 'q': case 'Q': return;
        case '?': case 'h': m_help = !m_help; break;
        case 'j': case Terminal::kDown: if (m_selected + 1 < n) ++m_selected; break;
        case 'k': case Terminal::kUp: if (m_selected > 0) --m_selected; break;
        case Terminal::kEnter: m_detail = !m_detail; break;
        case 27: m_detail = m_help = false; break;  // Esc
        case 's': m_sort = (m_sort + 1) % 4; break;
        case 'p': m_paused = !m_paused; collector.set_paused(m_paused); break;
        case 'r': collector.poll_now(); break;
        case '+': m_interval = std::min(60.0, m_interval * 2); collector.set_interval(m_interval); break;
        case '-': m_interval = std::max(0.25, m_interval / 2); collector.set_interval(m_interval); break;
        case Terminal::kResize: break;
        default: break;
        }
    }
}

}  // namespace zabra::tools::top
