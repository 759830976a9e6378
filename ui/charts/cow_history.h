#pragma once
// Copy-on-write pages over time, from metrics.sample: per VM (shared and
// private pages, RSS, PSS) and summed over all VMs per tick, which is what
// the chart shows by default when hundreds of clones run. Pure data, no
// widgets. Bounded: each series is a ring of its last `capacity` points
// (3600: 30 minutes at 2 Hz), and at most maxEnded exited VMs are kept.
#include "backend/protocol_types.h"

#include <QHash>
#include <QObject>

#include <deque>
#include <optional>

class QIODevice;

namespace hf::ui {

class CowHistory : public QObject {
    Q_OBJECT
public:
    struct Point {
        double t = 0;  // seconds since the first sample
        qint64 sharedPages = 0;
        qint64 privatePages = 0;
        qint64 rssKib = 0;
        qint64 pssKib = 0;
    };
    struct Series {
        QString name;
        bool ended = false;  // the VM exited (removeVm)
        std::deque<Point> points;
    };

    explicit CowHistory(int capacity = 3600, QObject* parent = nullptr);

    const Series* vm(VmId vm) const;
    const std::deque<Point>& totals() const { return m_totals; }
    QList<VmId> vms() const;  // ascending, ended ones included
    qint64 firstSampleUnixMs() const { return m_firstUnixMs; }  // 0 before the first sample
    int capacity() const { return m_capacity; }

    // Every VM's points, by VM id then time: t_s, vm, name, shared_pages,
    // private_pages, rss_kib, pss_kib (RFC 4180, '.' decimal point).
    bool writeCsv(QIODevice* out, QString* error) const;

    // Ended VMs beyond this many are forgotten, oldest first, so a long
    // session of short-lived clones does not grow without end.
    static constexpr int maxEnded = 256;

public Q_SLOTS:
    // One tick, every VM in it. A tick older than the newest one is ignored:
    // series stay in time order.
    void addSample(const hf::ui::MetricsSample& sample);
    // Names may come before the VM's first sample (vm.booted, vm.forked).
    void setVmName(hf::ui::VmId vm, const QString& name);
    // The VM exited: its history stays (to show and export), marked ended,
    // until maxEnded later exits push it out.
    void removeVm(hf::ui::VmId vm);
    void clear();

Q_SIGNALS:
    // Once per tick, rename, removal or clear, never once per VM in a tick.
    void updated();

private:
    void push(std::deque<Point>& points, const Point& p) const;

    int m_capacity;
    bool m_started = false;
    qint64 m_firstUnixMs = 0;
    qint64 m_lastUnixMs = 0;
    QHash<VmId, Series> m_vms;
    std::deque<Point> m_totals;
    std::deque<VmId> m_ended;  // oldest exit first
};

}  // namespace hf::ui
