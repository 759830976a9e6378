#include "charts/cow_history.h"

#include "charts/fork_latency_table.h"

#include <QIODevice>

#include <algorithm>

namespace hf::ui {

CowHistory::CowHistory(int capacity, QObject* parent) : QObject(parent), m_capacity(std::max(1, capacity)) {}

const CowHistory::Series* CowHistory::vm(VmId vm) const
{
    const auto it = m_vms.constFind(vm);
    return it == m_vms.cend() ? nullptr : &*it;
}

QList<VmId> CowHistory::vms() const
{
    QList<VmId> ids = m_vms.keys();
    std::sort(ids.begin(), ids.end());
    return ids;
}

void CowHistory::push(std::deque<Point>& points, const Point& p) const
{
    points.push_back(p);
    while (points.size() > static_cast<size_t>(m_capacity)) points.pop_front();
}

void CowHistory::addSample(const MetricsSample& sample)
{
    if (!m_started) {
        m_started = true;
        m_firstUnixMs = m_lastUnixMs = sample.tUnixMs;
    }
    if (sample.tUnixMs < m_lastUnixMs) return;  // the wall clock stepped back: keep the series ordered
    m_lastUnixMs = sample.tUnixMs;
    const double t = static_cast<double>(sample.tUnixMs - m_firstUnixMs) / 1000.0;
    Point total{t, 0, 0, 0, 0};
    for (const VmSample& s : sample.samples) {
        const Point p{t, s.sharedPages, s.privatePages, s.rssKib, s.pssKib};
        push(m_vms[s.vm].points, p);
        total.sharedPages += s.sharedPages;
        total.privatePages += s.privatePages;
        total.rssKib += s.rssKib;
        total.pssKib += s.pssKib;
    }
    push(m_totals, total);
    Q_EMIT updated();
}

void CowHistory::setVmName(VmId vm, const QString& name)
{
    Series& series = m_vms[vm];
    if (series.name == name) return;
    series.name = name;
    Q_EMIT updated();
}

void CowHistory::removeVm(VmId vm)
{
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

void CowHistory::clear()
{
    m_vms.clear();
    m_ended.clear();
    m_totals.clear();
    m_started = false;
    m_firstUnixMs = m_lastUnixMs = 0;
    Q_EMIT updated();
}

bool CowHistory::writeCsv(QIODevice* out, QString* error) const
{
    QByteArray bytes = "t_s,vm,name,shared_pages,private_pages,rss_kib,pss_kib\r\n";
    for (VmId id : vms()) {
        const Series& s = *vm(id);
        const QByteArray prefix = QByteArray::number(id) + ',' + csvField(s.name).toUtf8() + ',';
        for (const Point& p : s.points) {
            // Concatenated, not QString::arg-chained: a name holding "%1" stays as it is.
            bytes += QByteArray::number(p.t, 'f', 3) + ',' + prefix + QByteArray::number(p.sharedPages) + ',' +
                     QByteArray::number(p.privatePages) + ',' + QByteArray::number(p.rssKib) + ',' +
                     QByteArray::number(p.pssKib) + "\r\n";
        }
    }
    if (out->write(bytes) != bytes.size()) {
        if (error) *error = out->errorString();
        return false;
    }
    return true;
}

}  // namespace hf::ui
