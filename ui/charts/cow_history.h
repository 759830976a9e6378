#pragma once
// Copy-on-write pages over time, from metrics.sample: per VM (shared and
// private pages, RSS, PSS) and summed over all VMs per tick, which is what
// the chart shows by default when hundreds of clones run. Bounded: each
// series keeps its last `capacity` points.
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
        bool ended = false;  // the VM exited; its history stays until capacity pushes it out
        std::deque<Point> points;
    };

    explicit CowHistory(int capacity = 3600, QObject* parent = nullptr);

    const Series* vm(VmId vm) const;
    const std::deque<Point>& totals() const { return m_totals; }
    QList<VmId> vms() const { return m_vms.keys(); }
    qint64 firstSampleUnixMs() const { return m_firstUnixMs; }
    int capacity() const { return m_capacity; }

    // Every VM's points: t, vm, name, shared, private, rss_kib, pss_kib.
    bool writeCsv(QIODevice* out, QString* error) const;

public Q_SLOTS:
    void addSample(const hf::ui::MetricsSample& sample);
    void setVmName(hf::ui::VmId vm, const QString& name);
    void removeVm(hf::ui::VmId vm);
    void clear();

Q_SIGNALS:
    // Once per addSample/clear, never once per VM.
    void updated();

private:
    void push(std::deque<Point>& points, const Point& p) const;

    int m_capacity;
    qint64 m_firstUnixMs = 0;
    QHash<VmId, Series> m_vms;
    std::deque<Point> m_totals;
    // Ended VMs beyond this many are forgotten, oldest first, so a long
    // session of short-lived clones does not grow without end.
    static constexpr int maxEnded = 256;
    std::deque<VmId> m_ended;
};

}  // namespace hf::ui
