// Charts fed with data, exported to PNG, SVG and CSV: the files are valid,
// the images are not blank, and a path that cannot be written is an error
// naming it.
#include "charts/chart_export.h"
#include "charts/chart_view.h"
#include "charts/cow_chart.h"
#include "charts/cow_history.h"
#include "charts/fork_latency_chart.h"
#include "charts/fork_latency_table.h"

#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QSvgRenderer>
#include <QTemporaryDir>
#include <QTest>

using namespace hf::ui;

namespace {

void feed(ForkLatencyTable& table, CowHistory& history)
{
    for (int f = 0; f < 6; ++f) {
        ForkEvent e;
        e.parent = 1;
        VmInfo v;
        v.id = 10 + f;
        v.name = QStringLiteral("w-%1").arg(f + 1);
        v.forkLatencyMs = 40 + f;
        v.forkPhases = {{"pause", 9}, {"capture", 2}, {"fork", 11.0 + f}, {"rebuild", 14}, {"restore", 3}, {"resume", 1}};
        e.clones = {v};
        table.addFork(e);
    }
    for (int i = 0; i < 40; ++i) {
        MetricsSample s;
        s.tUnixMs = 1790000000000 + i * 500;
        s.samples = {{1, 60000 - i * 100, 800 + i * 50, 0, 0, 0}, {2, 59000 - i * 90, 100 + i * 40, 0, 0, 0}};
        history.addSample(s);
    }
}

// Distinct colours in a sample of pixels: a blank or single-colour image has 1.
int colourCount(const QImage& image)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
        for (int x = 0; x < image.width(); x += 7) colours.insert(image.pixel(x, y));
    return static_cast<int>(colours.size());
}

}  // namespace

class TestChartExport : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void pngSvgCsv_data()
    {
        QTest::addColumn<bool>("latency");
        QTest::newRow("fork latency") << true;
        QTest::newRow("copy-on-write") << false;
    }
    void pngSvgCsv()
    {
        QFETCH(bool, latency);
        ForkLatencyTable table;
        CowHistory history;
        feed(table, history);
        ForkLatencyChart latencyChart(&table);
        CowChart cowChart(&history);
        latencyChart.refresh();
        cowChart.refresh();
        const ChartView* view = latency ? latencyChart.chartView() : cowChart.chartView();
        if (latency)
            QCOMPARE(view->barCategoryCount(), 6);
        else
            QCOMPARE(view->pointCount(0), 40);

        const QString base = m_dir.filePath(latency ? "latency" : "cow");
        QString error;
        QVERIFY2(exportChartPng(view, base + ".png", &error), qPrintable(error));
        QImage png(base + ".png");
        QVERIFY(!png.isNull());
        QCOMPARE(png.size(), QSize(1200, 700));
        QVERIFY(colourCount(png) > 20);  // axes, labels, bars or lines: far more than a flat fill

        QVERIFY2(exportChartSvg(view, base + ".svg", &error), qPrintable(error));
        QFile svgFile(base + ".svg");
        QVERIFY(svgFile.open(QIODevice::ReadOnly));
        const QByteArray svg = svgFile.readAll();
        QVERIFY(svg.contains("<svg"));
        QSvgRenderer renderer(svg);
        QVERIFY(renderer.isValid());
        QVERIFY(svg.size() > 2000);  // drawn content, not an empty document

        const bool csvOk = latency ? exportCsv(table, base + ".csv", &error) : exportCsv(history, base + ".csv", &error);
        QVERIFY2(csvOk, qPrintable(error));
        QFile csv(base + ".csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().split('\n');
        QCOMPARE(lines.size() - 1, latency ? 7 : 81);  // header + rows, trailing newline
    }

    void unwritablePathIsAnError()
    {
        ForkLatencyTable table;
        CowHistory history;
        ForkLatencyChart chart(&table);
        QString error;
        QVERIFY(!exportChartPng(chart.chartView(), "/nonexistent/dir/x.png", &error));
        QVERIFY2(error.contains("/nonexistent/dir/x.png"), qPrintable(error));
        QVERIFY(!exportChartSvg(chart.chartView(), "/nonexistent/dir/x.svg", &error));
        QVERIFY2(error.contains("/nonexistent/dir/x.svg"), qPrintable(error));
        QVERIFY(!exportCsv(history, "/nonexistent/dir/x.csv", &error));
        QVERIFY2(error.contains("/nonexistent/dir/x.csv"), qPrintable(error));
        // A parent that is a file, not a directory: fails for root too.
        const QString notADir = m_dir.filePath("plain-file");
        QFile f(notADir);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        QVERIFY(!exportCsv(table, notADir + "/forks.csv", &error));
        QVERIFY2(error.contains(notADir + "/forks.csv"), qPrintable(error));
    }

    void hundredsOfVmsStayCheap()
    {
        // Not a timing assertion (times belong in benchmarks): the refresh
        // count shows updates are coalesced, and the time is printed.
        CowHistory history;
        CowChart chart(&history);
        QElapsedTimer timer;
        timer.start();
        for (int tick = 0; tick < 120; ++tick) {
            MetricsSample s;
            s.tUnixMs = 1790000000000 + tick * 500;
            for (VmId vm = 1; vm <= 300; ++vm) s.samples.append({vm, 60000, vm * 3, 0, 0, 0});
            history.addSample(s);
        }
        chart.refresh();
        qInfo("300 VMs x 120 samples into CowHistory and one chart refresh: %lld ms", timer.elapsed());
        QCOMPARE(chart.chartView()->pointCount(0), 120);
    }
};

QTEST_MAIN(TestChartExport)
#include "tst_chart_export.moc"
