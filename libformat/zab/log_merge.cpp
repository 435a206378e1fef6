#include "libformat/zab/log_merge.h"

#include "libformat/zab/txn.h"
#include "libformat/zab/txn_codec.h"

#include <algorithm>

namespace zabra::zab {

LogMerge::LogMerge(std::vector<DataFile> logs, TxnLogReaderOptions options)
    : m_logs(std::move(logs)), m_options(options) {}

void LogMerge::advance(MergeSource& s) {
    if (!s.reader->next(s.record)) {
        auto it = std::find_if(m_open.begin(), m_open.end(), [&](const auto& p) { return p.get() == &s; });
        m_ended.push_back(std::move(*it));
        m_open.erase(it);
        return;
    }
    // A payload too short for a header cannot be ordered: it keeps its place.
    if (s.record.payload.size() >= kTxnHeaderSize) s.zxid = decode_txn_header(s.record.payload).zxid;
}

void LogMerge::open_next() {
    auto s = std::make_unique<MergeSource>();
    s->index = m_next;
    s->file = m_logs[m_next];
    s->path = s->file.path.string();
    if (m_next + 1 < m_logs.size()) s->next_name = m_logs[m_next + 1].name.zxid;
    ++m_next;
    s->zxid = s->file.name.zxid;
    s->mapped = std::make_unique<MappedFile>(s->file.path);
    TxnLogReaderOptions o = m_options;
    o.extents = s->mapped.get();
    s->reader = std::make_unique<TxnLogReader>(s->mapped->bytes(), o);
    MergeSource& ref = *s;
    m_open.push_back(std::move(s));
    advance(ref);
}

bool LogMerge::next(Event& event) {
    event = {};
    if (m_yielded != nullptr) {
        MergeSource* s = m_yielded;
        m_yielded = nullptr;
        advance(*s);
    }
    auto smallest = [this] {
        return std::min_element(m_open.begin(), m_open.end(), [](const auto& a, const auto& b) {
            return a->zxid != b->zxid ? a->zxid < b->zxid : a->index < b->index;
        });
    };
    // Open every log whose name the stream has reached (all of them in turn
    // once the open ones are done).
    while (m_ended.empty() && m_next < m_logs.size() &&
           (m_open.empty() || (*smallest())->zxid >= m_logs[m_next].name.zxid)) {
        open_next();
    }
    if (!m_ended.empty()) {
        event.ended = std::move(m_ended.front());
        m_ended.erase(m_ended.begin());
        return true;
    }
    if (m_open.empty()) return false;
    MergeSource& s = **smallest();
    ++s.records;
    if (s.next_name && s.zxid > *s.next_name) {
        if (s.past_next_name++ == 0) s.past_first = s.zxid;
        s.past_last = s.zxid;
    }
    event.source = &s;
    m_yielded = &s;
    return true;
}

}  // namespace zabra::zab
