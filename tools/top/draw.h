// zabra top's interactive side: a collector thread that polls on its own
// clock, and the dashboard that draws the model and handles keys.
#pragma once

#include "tools/top/collect.h"
#include "tools/top/model.h"
#include "tools/top/terminal.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace zabra::tools::top {

class Collector {
public:
    Collector(std::vector<Target> targets, double timeout, bool mntr, int admin_port);
    ~Collector();
    void start(double interval);
    // Results of the polls finished since the last call.
    std::vector<PollResult> take();
    void poll_now();
    void set_interval(double seconds);
    void set_paused(bool paused);

private:
    void loop();

    std::vector<Target> m_targets;
    double m_timeout;
    bool m_mntr;
    int m_admin_port;
    std::mutex m_mu;
    std::condition_variable m_cv;
    std::vector<PollResult> m_results;
    double m_interval = 1;
    bool m_now = false, m_paused = false, m_stop = false, m_retime = false;
    std::thread m_thread;
};

class Dashboard {
public:
    Dashboard(Ensemble& ensemble, double interval) : m_e(ensemble), m_interval(interval) {}
    void run(Terminal& term, Collector& collector, const std::atomic<bool>& stop);

    // The lines the screen shows, without the terminal (tests use this).
    std::vector<std::string> render_rows(int width) const;

private:
    void draw(Terminal& term) const;
    std::vector<std::string> order() const;

    Ensemble& m_e;
    double m_interval;
    std::size_t m_selected = 0;
    int m_sort = 0;  // 0 as given, 1 state, 2 lag, 3 latency
    bool m_paused = false, m_help = false, m_detail = false;
};

}  // namespace zabra::tools::top
