// MetricsHistory fed with metrics.sample ticks for several VMs: per-VM series
// and totals per tick (only what adds up: PSS, RSS, private pages, CPU use;
// never shared pages), CPU use from CPU time, fork markers, one signal per
// tick, names, exits, the ring bound and the CSV, byte for byte.
#include "charts/metrics_history.h"

#include <QBuffer>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace hf::ui;

namespace {

constexpr qint64 t0 = 1790000000000;

MetricsSample tick(qint64 tUnixMs, QList<VmSample> samples)
{
    MetricsSample s;
    s.tUnixMs = tUnixMs;
    s.hz = 2;
    s.samples = std::move(samples);
    return s;
}

QByteArray csvOf(const MetricsHistory& history)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QString error;
    if (!history.writeCsv(&buffer, &error)) qFatal("writeCsv: %s", qPrintable(error));
    return buffer.data();
}

const QByteArray csvHeader = "t_s,vm,name,shared_pages,private_pages,rss_kib,pss_kib,cpu_ms\r\n";

}  // namespace

class TestMetricsHistory : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cleanup() { QLocale::setDefault(QLocale::c()); }

    void empty()
    {
        MetricsHistory history;
        QCOMPARE(history.capacity(), 3600);
        QVERIFY(history.totals().empty());
        QVERIFY(history.vms().isEmpty());
        QVERIFY(history.vm(1) == nullptr);
        QCOMPARE(history.firstSampleUnixMs(), 0);
        QCOMPARE(csvOf(history), csvHeader);
    }

    // Three VMs, then one missing from a tick: totals sum what each tick had,
    // of what adds up across VMs.
    void totals_data()
    {
        QTest::addColumn<int>("tickIndex");
        QTest::addColumn<double>("t");
        QTest::addColumn<int>("vms");
        QTest::addColumn<qint64>("priv");
        QTest::addColumn<qint64>("rss");
        QTest::addColumn<qint64>("pss");
        QTest::addColumn<double>("cpu");
        QTest::newRow("first tick") << 0 << 0.0 << 3 << qint64(16) << qint64(11200) << qint64(490) << 0.0;
        // VM 1: 100 ms of CPU in 0.5 s = 20 %; VM 2: 50 ms = 10 %.
        QTest::newRow("VM 3 absent") << 1 << 0.5 << 2 << qint64(125) << qint64(7600) << qint64(460) << 30.0;
        // VM 1: 750 ms in 0.75 s = 100 %; VM 2: 0; VM 3 (last seen at 0 s): 250 ms in 1.25 s = 20 %.
        QTest::newRow("all back") << 2 << 1.25 << 3 << qint64(336) << qint64(11250) << qint64(700) << 120.0;
    }

    void totals()
    {
        QFETCH(int, tickIndex);
        QFETCH(double, t);
        QFETCH(int, vms);
        QFETCH(qint64, priv);
        QFETCH(qint64, rss);
        QFETCH(qint64, pss);
        QFETCH(double, cpu);
        MetricsHistory history;
        history.addSample(tick(t0, {{1, 1000, 10, 4000, 300, 1000}, {2, 900, 5, 3600, 100, 500}, {3, 900, 1, 3600, 90, 0}}));
        history.addSample(tick(t0 + 500, {{1, 990, 20, 4000, 310, 1100}, {2, 800, 105, 3600, 150, 550}}));
        history.addSample(tick(t0 + 1250, {{1, 980, 30, 4000, 320, 1850}, {2, 800, 106, 3650, 180, 550},
                                           {3, 820, 200, 3600, 200, 250}}));
        QCOMPARE(history.totals().size(), 3u);
        const MetricsHistory::Total& p = history.totals().at(static_cast<size_t>(tickIndex));
        QCOMPARE(p.t, t);
        QCOMPARE(p.vms, vms);
        QCOMPARE(p.privatePages, priv);
        QCOMPARE(p.rssKib, rss);
        QCOMPARE(p.pssKib, pss);
        QCOMPARE(p.cpuPercent, cpu);
    }

    // Four VMs sharing one image: the total is the image once (PSS), not
    // four times; without sharing it would be four (RSS).
    void sharedPagesAreNotAddedUp()
    {
        MetricsHistory history;
        QList<VmSample> four;
        for (VmId vm = 1; vm <= 4; ++vm) four.append({vm, 29696, 256, 119808, 30720, 0});
        history.addSample(tick(t0, four));
        const MetricsHistory::Total& total = history.totals().back();
        QCOMPARE(total.pssKib, 4 * 30720);   // 120 MiB on the host
        QCOMPARE(total.rssKib, 4 * 119808);  // 468 MiB of VMs
        QCOMPARE(total.privatePages, 4 * 256);
    }

    // A tick taken while ref forks two clones has ref's PSS split with
    // clones it does not list: no total from it, nor from later ticks
    // missing a clone, so the host memory line does not dip.
    void ticksMidForkGiveNoTotal()
    {
        MetricsHistory history;
        history.addSample(tick(t0, {{1, 0, 1000, 4000, 4000, 0}}));
        history.addSample(tick(t0 + 500, {{1, 1000, 0, 4000, 1333, 0}}));  // mid-fork
        ForkEvent fork;
        fork.parent = 1;
        VmInfo a, b;
        a.id = 2;
        a.createdUnixMs = t0 + 700;
        a.forkLatencyMs = 300;  // began at t0 + 400: the tick at t0 + 500 was mid-fork
        b.id = 3;
        b.createdUnixMs = t0 + 720;
        b.forkLatencyMs = 310;
        fork.clones = {a, b};
        history.addFork(fork);
        QCOMPARE(history.totals().size(), 1u);
        QCOMPARE(history.totals().back().pssKib, 4000);
        history.addSample(tick(t0 + 1000, {{1, 1000, 0, 4000, 1333, 0}, {2, 1000, 0, 4000, 1333, 0}}));  // b not yet
        QCOMPARE(history.totals().size(), 1u);
        QCOMPARE(history.vm(2)->points.size(), 1u);  // the clone's own line has it
        history.addSample(tick(t0 + 1500, {{1, 1000, 0, 4000, 1334, 0}, {2, 1000, 0, 4000, 1333, 0},
                                           {3, 1000, 0, 4000, 1333, 0}}));
        QCOMPARE(history.totals().size(), 2u);
        QCOMPARE(history.totals().back().pssKib, 4000);
        QCOMPARE(history.totals().back().rssKib, 12000);
        // A clone that exits before its first sample is not waited for.
        VmInfo c;
        c.id = 4;
        c.createdUnixMs = t0 + 1600;
        fork.clones = {c};
        history.addFork(fork);
        history.removeVm(4);
        history.addSample(tick(t0 + 2000, {{1, 1000, 0, 4000, 1334, 0}, {2, 1000, 0, 4000, 1333, 0},
                                           {3, 1000, 0, 4000, 1333, 0}}));
        QCOMPARE(history.totals().size(), 3u);
    }

    void cpuUseOfOneVm()
    {
        MetricsHistory history;
        history.addSample(tick(t0, {{1, 1, 1, 0, 0, 2000}}));
        history.addSample(tick(t0 + 2000, {{1, 1, 1, 0, 0, 3000}}));
        history.addSample(tick(t0 + 3000, {{1, 1, 1, 0, 0, 2500}}));  // a counter going back: no use, no NaN forever
        const MetricsHistory::Series* s = history.vm(1);
        QVERIFY(std::isnan(s->points.at(0).cpuPercent));
        QCOMPARE(s->points.at(1).cpuPercent, 50.0);
        QVERIFY(std::isnan(s->points.at(2).cpuPercent));
    }

    void forksAreMarked()
    {
        MetricsHistory history;
        QSignalSpy updated(&history, &MetricsHistory::updated);
        ForkEvent fork;
        fork.parent = 1;
        fork.origin = "command";
        VmInfo a, b;
        a.id = 2;
        a.createdUnixMs = t0 + 100;
        b.id = 3;
        b.createdUnixMs = t0 + 120;
        fork.clones = {a, b};
        history.addFork(fork);
        QCOMPARE(updated.size(), 1);
        QCOMPARE(history.forks().size(), 1u);
        QCOMPARE(history.forks().back().unixMs, t0 + 120);  // when the last clone ran
        QCOMPARE(history.forks().back().clones, 2);
        history.addFork(ForkEvent{});  // no clones: nothing to mark
        QCOMPARE(history.forks().size(), 1u);
        for (int i = 0; i < MetricsHistory::maxForks + 10; ++i) history.addFork(fork);
        QCOMPARE(history.forks().size(), static_cast<size_t>(MetricsHistory::maxForks));
        history.clear();
        QVERIFY(history.forks().empty());
    }

    void perVmSeries()
    {
        MetricsHistory history;
        history.addSample(tick(t0, {{1, 1000, 10, 4000, 300, 0}, {2, 900, 5, 3600, 100, 0}}));
        history.addSample(tick(t0 + 500, {{2, 800, 105, 3650, 150, 0}}));
        QCOMPARE(history.vms(), QList<VmId>({1, 2}));
        QCOMPARE(history.firstSampleUnixMs(), t0);
        QCOMPARE(history.vm(1)->points.size(), 1u);
        const MetricsHistory::Series* two = history.vm(2);
        QCOMPARE(two->points.size(), 2u);
        QCOMPARE(two->points.back().t, 0.5);
        QCOMPARE(two->points.back().sharedPages, 800);
        QCOMPARE(two->points.back().privatePages, 105);
        QCOMPARE(two->points.back().rssKib, 3650);
        QCOMPARE(two->points.back().pssKib, 150);
        QVERIFY(!two->ended);
    }

    void oneSignalPerTick()
    {
        MetricsHistory history;
        QSignalSpy updated(&history, &MetricsHistory::updated);
        QList<VmSample> many;
        for (VmId vm = 1; vm <= 300; ++vm) many.append({vm, 1, 1, 0, 0, 0});
        history.addSample(tick(t0, many));
        history.addSample(tick(t0 + 500, many));
        QCOMPARE(updated.size(), 2);
        QCOMPARE(history.vms().size(), 300);
    }

    void namesAndTheirSignal()
    {
        MetricsHistory history;
        QSignalSpy updated(&history, &MetricsHistory::updated);
        history.setVmName(7, "ref");  // before its first sample (vm.booted)
        QCOMPARE(updated.size(), 1);
        history.setVmName(7, "ref");  // unchanged: no signal
        QCOMPARE(updated.size(), 1);
        history.addSample(tick(t0, {{7, 1, 2, 3, 4, 0}}));
        QCOMPARE(history.vm(7)->name, "ref");
        QCOMPARE(history.vm(7)->points.size(), 1u);
        history.setVmName(7, "renamed");
        QCOMPARE(history.vm(7)->name, "renamed");
        QCOMPARE(updated.size(), 3);
    }

    void removeVmKeepsHistory()
    {
        MetricsHistory history;
        history.addSample(tick(t0, {{1, 100, 1, 0, 0, 0}, {2, 100, 2, 0, 0, 0}}));
        QSignalSpy updated(&history, &MetricsHistory::updated);
        history.removeVm(2);
        QCOMPARE(updated.size(), 1);
        history.removeVm(2);   // already ended
        history.removeVm(99);  // never seen
        QCOMPARE(updated.size(), 1);
        QVERIFY(history.vm(2) != nullptr);  // still shown and exported
        QVERIFY(history.vm(2)->ended);
        QCOMPARE(history.vm(2)->points.size(), 1u);
        // The next tick no longer has it: totals are the live VMs.
        history.addSample(tick(t0 + 500, {{1, 100, 5, 0, 0, 0}}));
        QCOMPARE(history.totals().back().privatePages, 5);
        QCOMPARE(history.vm(2)->points.size(), 1u);
    }

    void endedVmsAreBounded()
    {
        MetricsHistory history(3);
        history.addSample(tick(t0, {{1, 1, 1, 0, 0, 0}}));
        history.removeVm(1);
        // A long session of short-lived clones.
        for (VmId id = 100; id < 100 + MetricsHistory::maxEnded + 50; ++id) {
            history.addSample(tick(t0 + id, {{id, 1, 1, 0, 0, 0}}));
            history.removeVm(id);
        }
        QVERIFY(history.vm(1) == nullptr);  // the oldest exits are forgotten first
        QVERIFY(history.vm(149) == nullptr);
        QVERIFY(history.vm(150) != nullptr);
        QCOMPARE(history.vms().size(), MetricsHistory::maxEnded);
    }

    void ringBound_data()
    {
        QTest::addColumn<int>("capacity");
        QTest::addColumn<int>("ticks");
        QTest::newRow("under") << 5 << 3;
        QTest::newRow("exactly") << 5 << 5;
        QTest::newRow("over") << 5 << 12;
        QTest::newRow("one") << 1 << 4;
        QTest::newRow("zero means one") << 0 << 4;
    }

    void ringBound()
    {
        QFETCH(int, capacity);
        QFETCH(int, ticks);
        MetricsHistory history(capacity);
        for (int i = 0; i < ticks; ++i) history.addSample(tick(t0 + i * 1000, {{1, i, 2 * i, 0, 0, 0}}));
        const size_t kept = static_cast<size_t>(std::min(std::max(1, capacity), ticks));
        QCOMPARE(history.vm(1)->points.size(), kept);
        QCOMPARE(history.totals().size(), kept);
        // The newest stay; time still counts from the very first sample.
        QCOMPARE(history.vm(1)->points.back().sharedPages, ticks - 1);
        QCOMPARE(history.vm(1)->points.front().sharedPages, ticks - static_cast<int>(kept));
        QCOMPARE(history.totals().back().t, ticks - 1.0);
    }

    void clockSteppingBackIsIgnored()
    {
        MetricsHistory history;
        history.addSample(tick(t0, {{1, 1, 1, 0, 0, 0}}));
        history.addSample(tick(t0 + 1000, {{1, 2, 2, 0, 0, 0}}));
        QSignalSpy updated(&history, &MetricsHistory::updated);
        history.addSample(tick(t0 + 500, {{1, 9, 9, 0, 0, 0}}));
        QCOMPARE(updated.size(), 0);
        QCOMPARE(history.totals().size(), 2u);
        history.addSample(tick(t0 + 1000, {{1, 3, 3, 0, 0, 0}}));  // the same instant is fine
        QCOMPARE(history.totals().size(), 3u);
    }

    void clearStartsOver()
    {
        MetricsHistory history;
        history.addSample(tick(t0, {{1, 1, 1, 0, 0, 0}}));
        QSignalSpy updated(&history, &MetricsHistory::updated);
        history.clear();
        QCOMPARE(updated.size(), 1);
        QVERIFY(history.vms().isEmpty());
        QVERIFY(history.totals().empty());
        history.addSample(tick(t0 - 5000, {{1, 1, 1, 0, 0, 0}}));  // a new daemon, an earlier clock
        QCOMPARE(history.firstSampleUnixMs(), t0 - 5000);
        QCOMPARE(history.totals().back().t, 0.0);
    }

    void csvExactly()
    {
        MetricsHistory history;
        history.setVmName(2, "w,1");
        history.setVmName(1, "ref%1");
        history.setVmName(3, "say \"hi\"");
        history.addSample(tick(5000, {{2, 7, 8, 9, 10, 0}, {1, 1, 2, 3, 4, 12.5}}));
        history.addSample(tick(5250, {{1, 11, 12, 13, 14, 20}, {3, 0, 65536, 262144, 131072, 0}}));
        const QByteArray expected = csvHeader +
                                    "0.000,1,ref%1,1,2,3,4,12.5\r\n"
                                    "0.250,1,ref%1,11,12,13,14,20.0\r\n"
                                    "0.000,2,\"w,1\",7,8,9,10,0.0\r\n"
                                    "0.250,3,\"say \"\"hi\"\"\",0,65536,262144,131072,0.0\r\n";
        QCOMPARE(csvOf(history), expected);
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        QCOMPARE(csvOf(history), expected);
    }

    void csvWriteFailure()
    {
        MetricsHistory history;
        history.addSample(tick(t0, {{1, 1, 1, 0, 0, 0}}));
        QBuffer readOnly;
        readOnly.open(QIODevice::ReadOnly);
        QTest::ignoreMessage(QtWarningMsg, "QIODevice::write (QBuffer): ReadOnly device");
        QString error;
        QVERIFY(!history.writeCsv(&readOnly, &error));
        QVERIFY(!error.isEmpty());
    }
};

QTEST_MAIN(TestMetricsHistory)
#include "tst_metrics_history.moc"
