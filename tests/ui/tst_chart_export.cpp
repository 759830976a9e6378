// The charts fed with data and exported: PNG and SVG files that load, at the
// size asked for and not blank; CSV files equal to the tables' writeCsv; a
// path that cannot be written is an error naming it. Also what the charts
// show (bars per clone, phases or totals, CoW totals or one VM), that
// updates are coalesced, and ChartView's own API.
#include "charts/chart_export.h"
#include "charts/chart_view.h"
#include "charts/cow_chart.h"
#include "charts/cpu_chart.h"
#include "charts/metrics_history.h"
#include "charts/fork_latency_chart.h"
#include "charts/fork_latency_table.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QSet>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <limits>

using namespace hf::ui;

namespace {

constexpr qint64 t0 = 1790000000000;

VmInfo clone(VmId id, const QString& name, double total, QList<ForkPhase> phases = {})
{
    VmInfo v;
    v.id = id;
    v.name = name;
    v.forkLatencyMs = total;
    v.forkPhases = std::move(phases);
    return v;
}

// A clone a template's warm spare served: its own two phases (docs/fork.md).
VmInfo warmClone(VmId id, const QString& name, double handover, double activate)
{
    VmInfo v = clone(id, name, handover + activate, {{"handover", handover}, {"activate", activate}});
    v.forkWarm = true;
    return v;
}

// Phases that add up to the total, as the daemon reports them.
QList<ForkPhase> phasesOf(double fork) { return {{"pause", 9}, {"capture", 2}, {"fork", fork}, {"rebuild", 14}, {"restore", 3}, {"resume", 1}}; }

ForkEvent fork(VmId parent, QList<VmInfo> clones)
{
    ForkEvent e;
    e.parent = parent;
    e.origin = "command";
    e.clones = std::move(clones);
    return e;
}

void feedForks(ForkLatencyTable& table, int forks)
{
    for (int f = 0; f < forks; ++f) {
        const double ms = 11.0 + f;
        table.addFork(fork(1, {clone(10 + f, QStringLiteral("w-%1").arg(f + 1), 29 + ms, phasesOf(ms))}));
    }
}

// VM `vm` at tick `i`: shared and private pages, RSS their sum in KiB, PSS a third of it.
VmSample cowSample(VmId vm, int i)
{
    const qint64 shared = 60000 - i * 100, priv = 800 + i * 50 + vm, rss = (shared + priv) * 4;
    return {vm, shared, priv, rss, rss / 3, 10.0 * i};
}

void feedCow(MetricsHistory& history, int ticks, int vms)
{
    for (int i = 0; i < ticks; ++i) {
        MetricsSample s;
        s.tUnixMs = t0 + i * 500;
        for (VmId vm = 1; vm <= vms; ++vm) s.samples.append(cowSample(vm, i));
        history.addSample(s);
    }
}

// Distinct colours in a grid of pixels: a blank or flat image has 1.
int colourCount(const QImage& image)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 5)
        for (int x = 0; x < image.width(); x += 5) colours.insert(image.pixel(x, y));
    return static_cast<int>(colours.size());
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

template <typename Source>
QByteArray csvOf(const Source& source)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    source.writeCsv(&buffer, nullptr);
    return buffer.data();
}

}  // namespace

class TestChartExport : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // --- export ------------------------------------------------------------

    void pngAndSvg_data()
    {
        QTest::addColumn<bool>("latency");
        QTest::addColumn<QSize>("size");
        QTest::newRow("fork latency, default size") << true << defaultExportSize;
        QTest::newRow("fork latency, small") << true << QSize(640, 360);
        QTest::newRow("copy-on-write, default size") << false << defaultExportSize;
        QTest::newRow("copy-on-write, small") << false << QSize(640, 360);
    }

    void pngAndSvg()
    {
        QFETCH(bool, latency);
        QFETCH(QSize, size);
        ForkLatencyTable table;
        MetricsHistory history;
        feedForks(table, 6);
        feedCow(history, 40, 2);
        ForkLatencyChart latencyChart(&table);
        CowChart cowChart(&history);
        latencyChart.refresh();
        cowChart.refresh();
        const ChartView* view = latency ? latencyChart.chartView() : cowChart.chartView();
        const QString base = m_dir.filePath(QStringLiteral("%1-%2").arg(latency ? "latency" : "cow").arg(size.width()));
        QString error;

        QVERIFY2(exportChartPng(view, base + ".png", &error, size), qPrintable(error));
        const QImage png(base + ".png");
        QVERIFY(!png.isNull());
        QCOMPARE(png.size(), size);
        QVERIFY(colourCount(png) > 20);  // axes, labels, bars or lines: far from a flat fill

        QVERIFY2(exportChartSvg(view, base + ".svg", &error, size), qPrintable(error));
        const QByteArray svg = readAll(base + ".svg");
        QVERIFY(svg.contains("<svg"));
        QVERIFY(svg.contains("<path") || svg.contains("<polyline"));  // drawn shapes, not an empty page
        QSvgRenderer renderer(svg);
        QVERIFY(renderer.isValid());
        QCOMPARE(renderer.viewBox(), QRect(QPoint(0, 0), size));
        QImage drawn(size, QImage::Format_ARGB32);
        drawn.fill(Qt::transparent);
        QPainter painter(&drawn);
        renderer.render(&painter);
        painter.end();
        QVERIFY(colourCount(drawn) > 20);
    }

    void exportReplacesAtomically()
    {
        ForkLatencyTable table;
        feedForks(table, 3);
        ForkLatencyChart chart(&table);
        chart.refresh();
        QTemporaryDir dir;
        const QString path = dir.filePath("chart.png");
        QFile old(path);
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("not a png");
        old.close();
        QString error;
        QVERIFY2(exportChartPng(chart.chartView(), path, &error), qPrintable(error));
        QVERIFY(!QImage(path).isNull());
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList({"chart.png"}));  // no temporary left
    }

    void csvFiles()
    {
        ForkLatencyTable table;
        MetricsHistory history;
        table.addFork(fork(1, {clone(2, "w-1", 40, phasesOf(11)), clone(3, "odd, \"name\"", 41.5, {{"pause", 9.5}})}));
        history.setVmName(1, "ref, \"main\"");
        feedCow(history, 5, 3);
        QString error;
        const QString forks = m_dir.filePath("forks.csv");
        const QString cow = m_dir.filePath("cow.csv");
        QVERIFY2(exportCsv(table, forks, &error), qPrintable(error));
        QVERIFY2(exportCsv(history, cow, &error), qPrintable(error));
        QCOMPARE(readAll(forks), csvOf(table));
        QCOMPARE(readAll(cow), csvOf(history));
        QVERIFY(readAll(forks).contains(",\"odd, \"\"name\"\"\",command,false,41.500,9.500,"));
        QCOMPARE(readAll(cow).count("\r\n"), 1 + 5 * 3);
        QVERIFY(readAll(cow).contains(",1,\"ref, \"\"main\"\"\",60000,"));
    }

    void unwritablePath_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<bool>("parentIsFile");
        for (const char* format : {"png", "svg", "forks.csv", "cow.csv"}) {
            QTest::addRow("%s, no such directory", format) << QString(format) << false;
            QTest::addRow("%s, parent is a file", format) << QString(format) << true;
        }
    }

    void unwritablePath()
    {
        QFETCH(QString, format);
        QFETCH(bool, parentIsFile);
        ForkLatencyTable table;
        MetricsHistory history;
        feedForks(table, 2);
        feedCow(history, 2, 1);
        ForkLatencyChart chart(&table);
        QString dir = "/nonexistent/dir";
        if (parentIsFile) {  // fails for root too
            dir = m_dir.filePath("plain-file");
            QFile f(dir);
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        const QString path = dir + "/x." + format;
        auto run = [&](QString* error) {
            if (format == "png") return exportChartPng(chart.chartView(), path, error);
            if (format == "svg") return exportChartSvg(chart.chartView(), path, error);
            if (format == "forks.csv") return exportCsv(table, path, error);
            return exportCsv(history, path, error);
        };
        QString error;
        QVERIFY(!run(&error));
        QVERIFY2(error.contains(path), qPrintable(error));
        QVERIFY2(error.startsWith("cannot write "), qPrintable(error));
        QVERIFY(!run(nullptr));  // no message wanted: still false, no crash
        QVERIFY(!QFile::exists(path));
    }

    // --- the fork latency chart -------------------------------------------

    void latencyChartFollowsTableCoalesced()
    {
        ForkLatencyTable table;
        QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ForkLatencyChart chart(&table);
        QSignalSpy refreshed(&chart, &ForkLatencyChart::refreshed);
        QCOMPARE(chart.chartView()->barCategoryCount(), 0);
        // A burst of forks (one with 4 clones): one redraw, later.
        feedForks(table, 5);
        table.addFork(fork(2, {clone(30, "x-1", 40, phasesOf(11)), clone(31, "x-2", 41, phasesOf(12)),
                               clone(32, "x-3", 42, phasesOf(13)), clone(33, "x-4", 43, phasesOf(14))}));
        QCOMPARE(refreshed.size(), 0);
        QTRY_COMPARE(refreshed.size(), 1);
        QCOMPARE(chart.chartView()->barCategories(),
                 QStringList({"w-1", "w-2", "w-3", "w-4", "w-5", "x-1", "x-2", "x-3", "x-4"}));
        // They add up: no "other"; all cold: no warm phase in the legend.
        QCOMPARE(chart.chartView()->barSetNames(), ForkLatencyTable::coldPhases());
        QCOMPARE(chart.chartView()->yRange(), qMakePair(0.0, 50.0));  // 43 ms, rounded up
        table.clear();
        QTRY_COMPARE(refreshed.size(), 2);
        QCOMPARE(chart.chartView()->barCategoryCount(), 0);
    }

    void latencyChartShowsTheLastForks()
    {
        ForkLatencyTable table;
        ForkLatencyChart chart(&table);
        QCOMPARE(chart.shownForkCount(), ForkLatencyChart::shownForks);
        feedForks(table, ForkLatencyChart::shownForks + 7);
        chart.refresh();
        QStringList labels = chart.chartView()->barCategories();
        QCOMPARE(labels.size(), ForkLatencyChart::shownForks);
        QCOMPARE(labels.first(), "w-8");
        QCOMPARE(labels.last(), QStringLiteral("w-%1").arg(ForkLatencyChart::shownForks + 7));
        chart.setShownForks(3);
        QCOMPARE(chart.chartView()->barCategories(), QStringList({"w-55", "w-56", "w-57"}));
    }

    void latencyChartTotalToggle()
    {
        ForkLatencyTable table;
        feedForks(table, 4);
        ForkLatencyChart chart(&table);
        QVERIFY(chart.showsPhases());
        QSignalSpy refreshed(&chart, &ForkLatencyChart::refreshed);
        chart.setShowPhases(false);  // redraws at once
        QCOMPARE(refreshed.size(), 1);
        QVERIFY(!chart.showsPhases());
        QCOMPARE(chart.chartView()->barSetNames(), QStringList({"total"}));
        QCOMPARE(chart.chartView()->barCategoryCount(), 4);
        QCOMPARE(chart.chartView()->yRange().second, 50.0);
        chart.setShowPhases(true);
        QCOMPARE(chart.chartView()->barSetNames(), ForkLatencyTable::coldPhases());
    }

    void latencyChartShowsWhatPhasesMiss()
    {
        ForkLatencyTable table;
        // A phase this client does not know makes the total larger than its phases.
        table.addFork(fork(1, {clone(2, "w-1", 45, phasesOf(11) << ForkPhase{"future", 5})}));
        ForkLatencyChart chart(&table);
        QCOMPARE(chart.chartView()->barSetNames(), QStringList(ForkLatencyTable::coldPhases()) << "other");
        QCOMPARE(chart.chartView()->yRange().second, 50.0);
    }

    // Warm clones (a template's spares) have their own phases and colours,
    // their own set without phases, "warm" in their label, and a legend
    // that says which is which.
    void latencyChartSeparatesWarmAndCold()
    {
        ForkLatencyTable table;
        table.addFork(fork(1, {clone(2, "w-1", 40, phasesOf(11))}));
        table.addFork(fork(1, {warmClone(3, "w-2", 0.4, 0.5), clone(4, "w-3", 41, phasesOf(12))}));
        ForkLatencyChart chart(&table);
        ChartView* view = chart.chartView();
        QCOMPARE(view->barCategories(), QStringList({"w-1", "w-2 · warm", "w-3"}));
        const QString handover = ForkLatencyChart::warmPhaseName("handover");
        const QString activate = ForkLatencyChart::warmPhaseName("activate");
        QCOMPARE(handover, "handover (warm)");
        QCOMPARE(view->barSetNames(), QStringList(ForkLatencyTable::coldPhases()) << handover << activate);
        QCOMPARE(view->barValues("pause"), QList<double>({9, 0, 9}));
        QCOMPARE(view->barValues("fork"), QList<double>({11, 0, 12}));
        QCOMPARE(view->barValues(handover), QList<double>({0, 0.4, 0}));
        QCOMPARE(view->barValues(activate), QList<double>({0, 0.5, 0}));

        chart.setShowPhases(false);
        QCOMPARE(view->barSetNames(), QStringList({ForkLatencyChart::coldTotalName(), ForkLatencyChart::warmTotalName()}));
        QVERIFY(ForkLatencyChart::coldTotalName().startsWith("cold"));
        QVERIFY(ForkLatencyChart::warmTotalName().startsWith("warm"));
        QCOMPARE(view->barValues(ForkLatencyChart::coldTotalName()), QList<double>({40, 0, 41}));
        QCOMPARE(view->barValues(ForkLatencyChart::warmTotalName()), QList<double>({0, 0.9, 0}));

        // Once no warm clone is on show, neither is its legend.
        chart.setShownForks(1);
        QCOMPARE(view->barSetNames(), QStringList({"total"}));
        chart.setShowPhases(true);
        QCOMPARE(view->barSetNames(), ForkLatencyTable::coldPhases());
    }

    // Exported, the chart keeps what tells warm from cold: the legend in
    // the SVG, the warm column in the CSV.
    void warmAndColdSurviveExport()
    {
        ForkLatencyTable table;
        table.addFork(fork(1, {warmClone(3, "w-2", 0.4, 0.5), clone(4, "w-3", 41, phasesOf(12))}));
        ForkLatencyChart chart(&table);
        QString error;
        const QString svgPath = m_dir.filePath("warm.svg");
        QVERIFY2(exportChartSvg(chart.chartView(), svgPath, &error), qPrintable(error));
        const QByteArray svg = readAll(svgPath);
        QVERIFY2(svg.contains("handover (warm)") && svg.contains("activate (warm)"), svg.left(400).constData());
        chart.setShowPhases(false);
        QVERIFY2(exportChartSvg(chart.chartView(), svgPath, &error), qPrintable(error));
        QVERIFY(readAll(svgPath).contains(ForkLatencyChart::warmTotalName().toUtf8()));
        const QString csvPath = m_dir.filePath("warm.csv");
        QVERIFY2(exportCsv(table, csvPath, &error), qPrintable(error));
        const QList<QByteArray> lines = readAll(csvPath).split('\n');
        QVERIFY(lines[0].contains(",origin,warm,total_ms,"));
        QVERIFY2(lines[1].contains(",w-2,command,true,0.900,"), lines[1].constData());
        QVERIFY2(lines[2].contains(",w-3,command,false,41.000,"), lines[2].constData());
    }

    void latencyChartLabelsAreUnique()
    {
        ForkLatencyTable table;
        table.addFork(fork(1, {clone(3, "w", 40), clone(4, "w", 40), clone(5, QString(), 40),
                               clone(6, "a-very-long-clone-name-7", 40), clone(7, "a-very-long-clone-name-8", 40)}));
        ForkLatencyChart chart(&table);
        const QStringList labels = chart.chartView()->barCategories();
        QCOMPARE(labels.size(), 5);
        QCOMPARE(labels.mid(0, 3), QStringList({"w #3", "w #4", "#5"}));
        // Shortened in the middle: the end that tells clones apart stays.
        QVERIFY2(labels[3].endsWith("name-7") && labels[3].size() <= 16, qPrintable(labels[3]));
        QVERIFY2(labels[4].endsWith("name-8"), qPrintable(labels[4]));
    }

    // --- the copy-on-write chart -------------------------------------------

    void cowChartAllOneOrEach()
    {
        MetricsHistory history;
        history.setVmName(2, "w-1");
        feedCow(history, 10, 3);
        CowChart chart(&history);
        const ChartView* view = chart.chartView();
        // All VMs: the host memory they use (PSS) and their size (RSS), summed,
        // in MiB, against the time of day (ms since the epoch).
        QCOMPARE(view->lineSeriesCount(), 2);
        QVERIFY(!chart.shownVm());
        QCOMPARE(view->pointCount(0), 10);
        qint64 pss = 0, rss = 0;
        for (VmId vm = 1; vm <= 3; ++vm) {
            pss += cowSample(vm, 3).pssKib;
            rss += cowSample(vm, 3).rssKib;
        }
        QCOMPARE(view->points(0).at(3), QPointF(t0 + 1500, pss / 1024.0));
        QCOMPARE(view->points(1).at(3), QPointF(t0 + 1500, rss / 1024.0));
        QCOMPARE(view->xRange(), qMakePair(double(t0), double(t0 + 4500)));
        QVERIFY(view->placeholderText().isEmpty());

        // One VM: shared, private and PSS, in MiB.
        chart.setVm(2);
        QCOMPARE(chart.shownVm(), std::optional<VmId>(2));
        QCOMPARE(view->lineSeriesCount(), 3);
        QCOMPARE(view->points(0).at(3).y(), (60000 - 300) * 4 / 1024.0);
        QCOMPARE(view->points(1).at(3).y(), (800 + 150 + 2) * 4 / 1024.0);
        QVERIFY(view->title().contains("w-1"));
        history.removeVm(2);
        chart.refresh();
        QVERIFY(view->title().contains("exited"));

        chart.setVm(99);  // unknown: nothing drawn, and the chart says why
        QCOMPARE(view->lineSeriesCount(), 0);
        QVERIFY(view->title().contains("#99"));
        QVERIFY(view->placeholderText().contains("#99"));
        chart.setVm(std::nullopt);
        QCOMPARE(view->pointCount(0), 10);

        // Each VM: one PSS line per live VM, named.
        chart.selector()->setCurrentIndex(chart.selector()->findText("Each VM"));
        QCOMPARE(view->lineSeriesCount(), 2);  // w-1 exited
        QCOMPARE(view->lineSeriesName(0), "#1");
        QCOMPARE(view->lineSeriesName(1), "#3");
        QCOMPARE(view->points(1).at(3).y(), cowSample(3, 3).pssKib / 1024.0);
        // Several VMs selected in the tree: theirs.
        chart.followSelection({1, 2});
        QCOMPARE(view->lineSeriesCount(), 2);
        QCOMPARE(view->lineSeriesName(1), "w-1");
        QVERIFY(chart.selector()->currentText().contains("Selected VMs (2)"));
    }

    void forkMarkersOnTheTimeAxis()
    {
        MetricsHistory history;
        feedCow(history, 10, 1);
        ForkEvent f;
        f.parent = 1;
        VmInfo clone;
        clone.id = 2;
        clone.createdUnixMs = t0 + 2000;
        f.clones = {clone};
        history.addFork(f);
        clone.createdUnixMs = t0 + 60000;  // after the last sample: off the chart
        f.clones = {clone};
        history.addFork(f);
        CowChart chart(&history);
        CpuChart cpu(&history);
        QCOMPARE(chart.chartView()->markers(), QList<double>({double(t0 + 2000), double(t0 + 60000)}));
        QCOMPARE(cpu.chartView()->markers().size(), 2);
        // The y range comes from the data, not from the markers.
        QVERIFY(chart.chartView()->yRange().second < 1000);
    }

    void cpuChartInPercent()
    {
        MetricsHistory history;
        feedCow(history, 5, 2);  // 10 ms of CPU per 500 ms tick: 2 %
        CpuChart chart(&history);
        const ChartView* view = chart.chartView();
        QCOMPARE(view->lineSeriesCount(), 2);  // each VM, by default
        QCOMPARE(view->pointCount(0), 4);      // the first tick has no CPU use yet
        QCOMPARE(view->points(1).at(0).y(), 2.0);
        chart.selector()->setCurrentIndex(chart.selector()->findText("All VMs"));
        QCOMPARE(view->lineSeriesCount(), 1);  // all VMs together
        QCOMPARE(view->points(0).at(0).y(), 4.0);
        chart.setVm(2);
        QCOMPARE(view->points(0).at(0).y(), 2.0);
        MetricsHistory empty;
        CpuChart none(&empty);
        QVERIFY(none.chartView()->placeholderText().contains("Boot a VM"));
        QVERIFY(!none.hasData());
    }

    void hundredsOfVmsCoalesced()
    {
        // No timing assertion (times belong in benchmarks): the refresh count
        // shows updates are coalesced, and the times are printed.
        MetricsHistory history;
        CowChart chart(&history);
        chart.resize(900, 500);  // shown: layout and painting count too
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QSignalSpy refreshed(&chart, &CowChart::refreshed);
        QElapsedTimer timer;
        timer.start();
        feedCow(history, 120, 300);
        const qint64 feedMs = timer.elapsed();
        QCOMPARE(refreshed.size(), 0);  // 120 ticks x 300 VMs, not one redraw yet
        QTRY_COMPARE(refreshed.size(), 1);
        QCOMPARE(chart.chartView()->pointCount(0), 120);
        timer.restart();
        for (int i = 0; i < 120; ++i) {  // the worst case: a redraw per tick, each painted
            chart.refresh();
            chart.grab();
        }
        qInfo("300 VMs x 120 ticks into MetricsHistory: %lld ms; 120 redraws+paints of the shown chart: %lld ms",
              feedMs, timer.elapsed());
    }

    // --- ChartView -----------------------------------------------------------

    void lineSeries()
    {
        ChartView view;
        QCOMPARE(view.addLineSeries("a", Qt::red), 0);
        QCOMPARE(view.addLineSeries("b", Qt::blue), 1);
        view.replacePoints(0, {{0, 1}, {1, 2}, {2, 3}});
        QCOMPARE(view.pointCount(0), 3);
        view.setMaxPoints(4);
        view.appendPoints(0, {{3, 4}, {4, 5}});  // one past the limit: the oldest goes
        QCOMPARE(view.points(0), QList<QPointF>({{1, 2}, {2, 3}, {3, 4}, {4, 5}}));
        view.replacePoints(1, {{0, 1}, {1, std::numeric_limits<double>::quiet_NaN()}, {2, 1}});
        QCOMPARE(view.pointCount(1), 2);  // non-finite points are dropped
        view.replacePoints(7, {{0, 1}});   // no such series: ignored
        view.appendPoints(-1, {{0, 1}});
        QCOMPARE(view.lineSeriesCount(), 2);
    }

    void autoRange_data()
    {
        QTest::addColumn<QList<QPointF>>("points");
        QTest::addColumn<double>("yMin");
        QTest::addColumn<double>("yMax");
        QTest::newRow("ms") << QList<QPointF>{{0, 12}, {10, 93}} << 0.0 << 100.0;
        QTest::newRow("millions of pages") << QList<QPointF>{{0, 1.2e7}, {1, 1.93e7}} << 0.0 << 2.0e7;
        QTest::newRow("fractions") << QList<QPointF>{{0, 0.1}, {1, 0.37}} << 0.0 << 0.4;
        QTest::newRow("negative") << QList<QPointF>{{0, -3}, {1, 7}} << -4.0 << 8.0;
        QTest::newRow("all zero") << QList<QPointF>{{0, 0}, {1, 0}} << 0.0 << 1.0;
        QTest::newRow("empty") << QList<QPointF>{} << 0.0 << 1.0;
    }

    void autoRange()
    {
        QFETCH(QList<QPointF>, points);
        QFETCH(double, yMin);
        QFETCH(double, yMax);
        ChartView view;
        view.replacePoints(view.addLineSeries("s", Qt::red), points);
        QCOMPARE(view.yRange().first, yMin);
        QVERIFY2(std::abs(view.yRange().second - yMax) < 1e-9 * std::max(1.0, yMax),
                 qPrintable(QString::number(view.yRange().second)));
        if (points.size() > 1)  // x exactly spans the data: the newest point is at the edge
            QCOMPARE(view.xRange(), qMakePair(points.first().x(), points.last().x()));
    }

    void rangeJumps()
    {
        // Each redraw may change the scale by orders of magnitude (a first
        // sample of millions of pages, a VM selected with a few): the axes
        // follow without laying out millions of ticks on the way.
        ChartView view;
        view.resize(600, 400);  // Qt Charts lays out ticks only for a chart with a size
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const int s = view.addLineSeries("s", Qt::red);
        for (double scale : {1e-3, 2e7, 0.5, 3e9, -4e6, 1.0, 7e8}) {
            view.replacePoints(s, {{0, 0}, {scale * 1e3, scale}});
            QVERIFY(view.yRange().second >= std::max(0.0, scale));
            QVERIFY(view.yRange().first <= std::min(0.0, scale));
            QCOMPARE(view.xRange().second, std::max(0.0, scale * 1e3));
        }
    }

    void dateTimeAxis()
    {
        ChartView view;
        view.setXAxis(ChartView::XAxis::DateTime);
        QCOMPARE(view.xAxis(), ChartView::XAxis::DateTime);
        const int s = view.addLineSeries("s", Qt::red);
        view.replacePoints(s, {{double(t0), 1}, {double(t0 + 60000), 2}});
        QCOMPARE(view.xRange(), qMakePair(double(t0), double(t0 + 60000)));
        view.setXAxis(ChartView::XAxis::Numeric);  // switching keeps the series
        QCOMPARE(view.pointCount(s), 2);
        QCOMPARE(view.xRange(), qMakePair(double(t0), double(t0 + 60000)));
        QVERIFY(colourCount(view.renderImage({400, 300})) > 5);
    }

    void stackedBars()
    {
        ChartView view;
        view.setStackedBars({"a", "a", "b"}, {{"x", Qt::red, {1, 2, 3}}, {"y", Qt::blue, {4, 5}}});
        QCOMPARE(view.barCategories(), QStringList({"a", "a (2)", "b"}));  // Qt Charts would merge equal names
        QCOMPARE(view.barSetNames(), QStringList({"x", "y"}));
        QCOMPARE(view.yRange(), qMakePair(0.0, 8.0));  // tallest stack 7
        view.setStackedBars({"c"}, {{"x", Qt::red, {20}}, {"y", Qt::blue, {}}});  // same sets: updated in place
        QCOMPARE(view.barCategoryCount(), 1);
        QCOMPARE(view.yRange(), qMakePair(0.0, 20.0));
        QCOMPARE(view.lineSeriesCount(), 0);
        view.addLineSeries("line", Qt::black);  // back to line mode
        QCOMPARE(view.barCategoryCount(), 0);
        QCOMPARE(view.lineSeriesCount(), 1);
        view.clear();
        QCOMPARE(view.lineSeriesCount(), 0);
    }
};

QTEST_MAIN(TestChartExport)
#include "tst_chart_export.moc"
