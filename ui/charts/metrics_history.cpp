#include "charts/metrics_history.h"

#include "charts/fork_latency_table.h"

#include <QDateTime>
#include <QIODevice>

#include <algorithm>

namespace hf::ui {

MetricsHistory::MetricsHistory(int capacity, QObject* parent) : QObject(parent), m_capacity(std::max(1, capacity)) {}

const MetricsHistory::Series* MetricsHistory::vm(VmId vm) const
{
    const auto it = m_vms.constFind(vm);
    return it == m_vms.cend() ? nullptr : &*it;
}

QList<VmId> MetricsHistory::vms() const
{
    QList<VmId> ids = m_vms.keys();
    std::sort(ids.begin(), ids.end());
    return ids;
}

QString MetricsHistory::name(VmId vm) const
{
    const Series* s = this->vm(vm);
    return s && !s->name.isEmpty() ? s->name : QStringLiteral("#%1").arg(vm);
}

template <typename T>
void MetricsHistory::push(std::deque<T>& points, const T& p) const
{
    points.push_back(p);
    while (points.size() > static_cast<size_t>(m_capacity)) points.pop_front();
}

void MetricsHistory::addSample(const MetricsSample& sample)
{
    if (!m_started) {
        m_started = true;
        m_firstUnixMs = m_lastUnixMs = sample.tUnixMs;
    }
    if (sample.tUnixMs < m_lastUnixMs) return;  // the wall clock stepped back: keep the series ordered
    m_lastUnixMs = sample.tUnixMs;
    const double t = static_cast<double>(sample.tUnixMs - m_firstUnixMs) / 1000.0;
    Total total;
    total.t = t;
    QSet<VmId> awaited = m_awaited;
    for (const VmSample& s : sample.samples) {
        awaited.remove(s.vm);
        m_awaited.remove(s.vm);
        Series& series = m_vms[s.vm];
        Point p{t, s.sharedPages, s.privatePages, s.rssKib, s.pssKib, s.cpuMs};
        if (!series.points.empty()) {
            const Point& before = series.points.back();
            const double seconds = t - before.t;
            if (seconds > 0 && s.cpuMs >= before.cpuMs) p.cpuPercent = (s.cpuMs - before.cpuMs) / (seconds * 10.0);
        }
        push(series.points, p);
        ++total.vms;
        total.rssKib += s.rssKib;
        total.pssKib += s.pssKib;
        total.privatePages += s.privatePages;
        if (!std::isnan(p.cpuPercent)) total.cpuPercent += p.cpuPercent;
    }
    // A clone already announced but not in this tick yet: no total (see the header).
    if (awaited.isEmpty()) push(m_totals, total);
    Q_EMIT updated();
}

void MetricsHistory::setVmName(VmId vm, const QString& name)
{
    Series& series = m_vms[vm];
    if (series.name == name) return;
    series.name = name;
    Q_EMIT updated();
}

void MetricsHistory::addFork(const ForkEvent& fork)
{
    if (fork.clones.isEmpty()) return;
    Fork f;
    f.parent = fork.parent;
    f.clones = static_cast<int>(fork.clones.size());
    f.origin = fork.origin;
    double started = 0;  // when the fork began: the first clone's creation minus its latency
    for (const VmInfo& clone : fork.clones) {
        f.unixMs = std::max(f.unixMs, clone.createdUnixMs);
        if (clone.createdUnixMs > 0) {
            const double begin = static_cast<double>(clone.createdUnixMs) - clone.forkLatencyMs.value_or(0);
            started = started > 0 ? std::min(started, begin) : begin;
        }
        const Series* series = vm(clone.id);
        if (!series || series->points.empty()) m_awaited.insert(clone.id);
    }
    if (f.unixMs == 0) f.unixMs = QDateTime::currentMSecsSinceEpoch();
    // Ticks since the fork began that miss one of its clones were taken
    // mid-fork: their totals go.
    if (m_started && started > 0) {
        while (!m_totals.empty() && unixMs(m_totals.back().t) >= started) {
            bool complete = true;
            for (const VmInfo& clone : fork.clones) {
                const Series* series = vm(clone.id);
                bool has = false;
                if (series)
                    for (auto it = series->points.rbegin(); it != series->points.rend() && it->t >= m_totals.back().t; ++it)
                        has = has || it->t == m_totals.back().t;
                complete = complete && has;
            }
            if (complete) break;
            m_totals.pop_back();
        }
    }
    m_forks.push_back(f);
    while (m_forks.size() > static_cast<size_t>(maxForks)) m_forks.pop_front();
    Q_EMIT updated();
}

void MetricsHistory::removeVm(VmId vm)
{
    m_awaited.remove(vm);  // never sampled: nothing to wait for
    const auto it = m_vms.find(vm);
    if (it == m_vms.end() || it->ended) return;
    it->ended = true;
    m_ended.push_back(vm);
    while (m_ended.size() > static_cast<size_t>(maxEnded)) {
        m_vms.remove(m_ended.front());
        m_ended.pop_front();
    }
    Q_EMIT updated();
}

void MetricsHistory::clear()
{
    m_vms.clear();
    m_ended.clear();
    m_totals.clear();
    m_forks.clear();
    m_awaited.clear();
    m_started = false;
    m_firstUnixMs = m_lastUnixMs = 0;
    Q_EMIT updated();
}

bool MetricsHistory::writeCsv(QIODevice* out, QString* error) const
{
    QByteArray bytes = "t_s,vm,name,shared_pages,private_pages,rss_kib,pss_kib,cpu_ms\r\n";
    for (VmId id : vms()) {
        const Series& s = *vm(id);
        const QByteArray prefix = QByteArray::number(id) + ',' + csvField(s.name).toUtf8() + ',';
        for (const Point& p : s.points) {
            // Concatenated, not QString::arg-chained: a name holding "%1" stays as it is.
            bytes += QByteArray::number(p.t, 'f', 3) + ',' + prefix + QByteArray::number(p.sharedPages) + ',' +
                     QByteArray::number(p.privatePages) + ',' + QByteArray::number(p.rssKib) + ',' +
                     QByteArray::number(p.pssKib) + ',' + QByteArray::number(p.cpuMs, 'f', 1) + "\r\n";
        }
    }
    if (out->write(bytes) != bytes.size()) {
        if (error) *error = out->errorString();
        return false;
    }
    return true;
}

}  // namespace hf::ui
