#pragma once
// What metrics.sample told over time, per VM (copy-on-write pages, RSS and
// PSS of the guest RAM, CPU time and the CPU use it implies) and per tick
// over all VMs, plus when forks happened. Pure data, no widgets; feeds the
// memory and CPU charts and their CSV. Bounded: each series is a ring of its
// last `capacity` points (3600: 30 minutes at 2 Hz), at most maxEnded exited
// VMs and maxForks forks are kept.
//
// The totals hold only what adds up across VMs: PSS (each shared page
// counted once, split among its sharers) is the host memory the VMs use;
// RSS summed is what they would use without sharing; private pages and CPU
// use add up too. Shared pages do not: four VMs sharing one 116 MiB image
// have 4 x 116 MiB of "shared" pages but use 116 MiB once. A tick taken in
// the middle of a fork gives no total: the parent's PSS is already split with
// clones the tick does not list yet, and the sum would dip for a moment.
#include "backend/protocol_types.h"

#include <QHash>
#include <QSet>
#include <QObject>

#include <cmath>
#include <deque>
#include <limits>

class QIODevice;

namespace hf::ui {

class MetricsHistory : public QObject {
    Q_OBJECT
public:
    struct Point {
        double t = 0;  // seconds since the first sample
        qint64 sharedPages = 0;
        qint64 privatePages = 0;
        qint64 rssKib = 0;
        qint64 pssKib = 0;
        double cpuMs = 0;  // the VMM's user + system time so far
        // CPU use since the VM's previous point, 100 = one host CPU busy;
        // NaN for a VM's first point.
        double cpuPercent = std::numeric_limits<double>::quiet_NaN();
    };
    struct Series {
        QString name;
        bool ended = false;  // the VM exited (removeVm)
        std::deque<Point> points;
    };
    struct Total {
        double t = 0;
        int vms = 0;            // VMs in the tick
        qint64 rssKib = 0;      // what the VMs would use without sharing
        qint64 pssKib = 0;      // what they use on the host
        qint64 privatePages = 0;
        double cpuPercent = 0;  // of the VMs with a previous point
    };
    struct Fork {
        qint64 unixMs = 0;  // the clones' creation (or the event's arrival)
        VmId parent = 0;
        int clones = 0;
        QString origin;
    };

    explicit MetricsHistory(int capacity = 3600, QObject* parent = nullptr);

    const Series* vm(VmId vm) const;
    const std::deque<Total>& totals() const { return m_totals; }
    const std::deque<Fork>& forks() const { return m_forks; }
    QList<VmId> vms() const;  // ascending, ended ones included
    QString name(VmId vm) const;  // its name, or "#id"
    qint64 firstSampleUnixMs() const { return m_firstUnixMs; }  // 0 before the first sample
    // A point's time as ms since the epoch.
    double unixMs(double t) const { return static_cast<double>(m_firstUnixMs) + t * 1000.0; }
    int capacity() const { return m_capacity; }

    // Every VM's points, by VM id then time: t_s, vm, name, shared_pages,
    // private_pages, rss_kib, pss_kib, cpu_ms (RFC 4180, '.' decimal point).
    bool writeCsv(QIODevice* out, QString* error) const;

    static constexpr int maxEnded = 256;
    static constexpr int maxForks = 500;

public Q_SLOTS:
    // One tick, every VM in it. A tick older than the newest one is ignored:
    // series stay in time order.
    void addSample(const hf::ui::MetricsSample& sample);
    // Names may come before the VM's first sample (vm.booted, vm.forked).
    void setVmName(hf::ui::VmId vm, const QString& name);
    // A fork: a marker on the charts' time axis.
    void addFork(const hf::ui::ForkEvent& fork);
    // The VM exited: its history stays (to show and export), marked ended,
    // until maxEnded later exits push it out.
    void removeVm(hf::ui::VmId vm);
    void clear();

Q_SIGNALS:
    // Once per tick, rename, fork, removal or clear, never once per VM in a tick.
    void updated();

private:
    template <typename T>
    void push(std::deque<T>& points, const T& p) const;

    int m_capacity;
    bool m_started = false;
    qint64 m_firstUnixMs = 0;
    qint64 m_lastUnixMs = 0;
    QHash<VmId, Series> m_vms;
    std::deque<Total> m_totals;
    std::deque<Fork> m_forks;
    std::deque<VmId> m_ended;  // oldest exit first
    QSet<VmId> m_awaited;      // clones announced but not sampled yet
};

}  // namespace hf::ui
