// The data behind the charts: ForkLatencyTable (under QAbstractItemModelTester)
// and CowHistory, and their CSV.
#include "charts/cow_history.h"
#include "charts/fork_latency_table.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace hf::ui;

namespace {

VmInfo clone(VmId id, const QString& name, double total, QList<ForkPhase> phases)
{
    VmInfo v;
    v.id = id;
    v.name = name;
    v.forkLatencyMs = total;
    v.forkPhases = std::move(phases);
    return v;
}

ForkEvent fork(VmId parent, QList<VmInfo> clones, const QString& origin = "command")
{
    ForkEvent f;
    f.parent = parent;
    f.origin = origin;
    f.clones = std::move(clones);
    return f;
}

QString csvOf(const auto& source)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QString error;
    if (!source.writeCsv(&buffer, &error)) qFatal("writeCsv failed");
    return QString::fromUtf8(buffer.data());
}

const QDateTime when = QDateTime(QDate(2026, 11, 24), QTime(18, 0, 0, 250), Qt::UTC);

}  // namespace

class TestChartData : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void latencyRowsFromForkEvents()
    {
        ForkLatencyTable table;
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        table.addFork(fork(1, {clone(2, "w-1", 41.0, {{"pause", 9.1}, {"capture", 2.0}, {"fork", 11.3},
                                                       {"rebuild", 14.2}, {"restore", 3.0}, {"resume", 1.4}}),
                               clone(3, "w-2", 48.0, {{"pause", 9.0}, {"fork", 12.0}, {"future-phase", 3.0}})}),
                      when);
        table.addFork(fork(2, {clone(4, "w-1-1", 39.5, {})}, "guest"), when);
        QCOMPARE(table.rowCount(), 3);
        QCOMPARE(table.columnCount(), 6 + 6);
        QCOMPARE(table.headerData(ForkLatencyTable::FirstPhase, Qt::Horizontal).toString(), "pause ms");
        QCOMPARE(table.data(table.index(0, ForkLatencyTable::Total)).toString(), "41.00");
        QCOMPARE(table.data(table.index(1, ForkLatencyTable::FirstPhase + 2), Qt::EditRole).toDouble(), 12.0);
        // A phase not reported is empty, not zero.
        QVERIFY(!table.data(table.index(1, ForkLatencyTable::FirstPhase + 1)).isValid());
        QCOMPARE(table.row(2).origin, "guest");
        QCOMPARE(table.row(2).parent, 2);
    }

    void latencyCsv()
    {
        ForkLatencyTable table;
        table.addFork(fork(1, {clone(2, "w-1", 41.0, {{"pause", 9.1}, {"capture", 2.0}, {"fork", 11.3},
                                                       {"rebuild", 14.2}, {"restore", 3.0}, {"resume", 1.4}}),
                               clone(3, "odd, \"name\"", 48.25, {{"pause", 9.0}})}),
                      when);
        const QString expected =
            "time,parent,clone,name,origin,total_ms,pause_ms,capture_ms,fork_ms,rebuild_ms,restore_ms,resume_ms\r\n"
            "2026-11-24T18:00:00.250Z,1,2,w-1,command,41.000,9.100,2.000,11.300,14.200,3.000,1.400\r\n"
            "2026-11-24T18:00:00.250Z,1,3,\"odd, \"\"name\"\"\",command,48.250,9.000,,,,,\r\n";
        QCOMPARE(csvOf(table), expected);
        // The locale does not change the decimal point.
        QLocale::setDefault(QLocale(QLocale::German));
        QCOMPARE(csvOf(table), expected);
        QLocale::setDefault(QLocale::c());
    }

    void latencyRowCap()
    {
        ForkLatencyTable table;  // no model tester here: it rechecks all 10000 rows per change
        QList<VmInfo> many;
        for (int i = 0; i < 64; ++i) many.append(clone(100 + i, QStringLiteral("c-%1").arg(i), i, {}));
        for (int round = 0; round < ForkLatencyTable::maxRows / 64 + 3; ++round) table.addFork(fork(1, many), when);
        QCOMPARE(table.rowCount(), ForkLatencyTable::maxRows);
        QCOMPARE(table.row(table.rowCount() - 1).name, "c-63");  // the newest stay
        table.clear();
        QCOMPARE(table.rowCount(), 0);
    }

    void cowTotalsAndPerVm()
    {
        CowHistory history(5);
        QSignalSpy updated(&history, &CowHistory::updated);
        MetricsSample s;
        s.tUnixMs = 1790000000000;
        s.samples = {{1, 1000, 10, 4000, 300, 0}, {2, 900, 5, 3600, 100, 0}, {3, 900, 1, 3600, 90, 0}};
        history.addSample(s);
        s.tUnixMs += 500;
        s.samples = {{1, 990, 20, 4000, 310, 0}, {2, 800, 105, 3600, 150, 0}};
        history.addSample(s);
        QCOMPARE(updated.size(), 2);  // once per tick, not per VM
        QCOMPARE(history.totals().size(), 2u);
        QCOMPARE(history.totals().back().t, 0.5);
        QCOMPARE(history.totals().front().sharedPages, 2800);
        QCOMPARE(history.totals().back().privatePages, 125);
        QCOMPARE(history.vm(2)->points.back().privatePages, 105);
        QCOMPARE(history.vm(3)->points.size(), 1u);
    }

    void cowRingAndEndedVms()
    {
        CowHistory history(3);
        for (int i = 0; i < 10; ++i) {
            MetricsSample s;
            s.tUnixMs = 1000 + i * 1000;
            s.samples = {{1, i, i, 0, 0, 0}};
            history.addSample(s);
        }
        QCOMPARE(history.vm(1)->points.size(), 3u);
        QCOMPARE(history.vm(1)->points.front().sharedPages, 7);
        QCOMPARE(history.totals().size(), 3u);
        history.setVmName(1, "ref");
        history.removeVm(1);
        QVERIFY(history.vm(1)->ended);  // kept, so its history can still be shown and exported
        // Hundreds of short-lived clones: the oldest ended ones are forgotten.
        for (VmId id = 100; id < 500; ++id) {
            MetricsSample s;
            s.tUnixMs = 20000 + id;
            s.samples = {{id, 1, 1, 0, 0, 0}};
            history.addSample(s);
            history.removeVm(id);
        }
        QVERIFY(history.vm(1) == nullptr);
        QVERIFY(history.vm(499) != nullptr);
        QVERIFY(history.vms().size() <= 256);
    }

    void cowCsv()
    {
        CowHistory history;
        history.setVmName(2, "w,1");
        history.setVmName(1, "ref%1");
        MetricsSample s;
        s.tUnixMs = 5000;
        s.samples = {{2, 7, 8, 9, 10, 0}, {1, 1, 2, 3, 4, 0}};
        history.addSample(s);
        QCOMPARE(csvOf(history), QString("t_s,vm,name,shared_pages,private_pages,rss_kib,pss_kib\r\n"
                                         "0.000,1,ref%1,1,2,3,4\r\n"
                                         "0.000,2,\"w,1\",7,8,9,10\r\n"));
    }
};

QTEST_MAIN(TestChartData)
#include "tst_chart_data.moc"
