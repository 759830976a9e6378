// The Benchmark page offscreen, on tests/ui/data/benchmark (made-up
// numbers): Figure 4's bars per scheme with "−x% vs boot" over the fork
// schemes, Figure 5's means with their 95% confidence intervals, the
// metadata as subtitle, every column in the tables; PNG, SVG and CSV
// exports; a bad file, opened or dropped, changes nothing; ChartView's
// bar labels and error bars.
#include "charts/benchmark_charts.h"
#include "charts/chart_export.h"
#include "charts/chart_view.h"
#include "charts/csv_table_model.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QSet>
#include <QSignalSpy>
#include <QSvgRenderer>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <cmath>

using namespace hf::ui;

namespace {

const QString sampleDir = QStringLiteral(HF_SOURCE_DIR "/tests/ui/data/benchmark");

const QStringList labels{"boot every VM", "fork after boot", "fork after the interpreter, python3",
                         "fork after import numpy", "warm spares (template after import)"};

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

// Drops `urls` on `target` as a file manager would.
void drop(QWidget* target, const QList<QUrl>& urls)
{
    QMimeData mime;
    mime.setUrls(urls);
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    if (!enter.isAccepted()) return;
    QDropEvent dropped(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &dropped);
}

}  // namespace

class TestBenchmarkCharts : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void emptyPage()
    {
        BenchmarkCharts page;
        QVERIFY(!page.hasData());
        QVERIFY(page.cpuChart()->placeholderText().contains("Open Benchmark"));
        QCOMPARE(page.cpuChart()->barCategoryCount(), 0);
        QTemporaryDir dir;
        QString error;
        QVERIFY(!page.exportPng(dir.filePath("x.png"), &error));
        QVERIFY2(error.contains("no benchmark is open"), qPrintable(error));
        QVERIFY(!QFile::exists(dir.filePath("x.png")));
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        QVERIFY(!page.writeCsv(&buffer, &error));
    }

    void figures()
    {
        BenchmarkCharts page;
        page.resize(560, 900);
        QSignalSpy opened(&page, &BenchmarkCharts::opened);
        QString error;
        QVERIFY2(page.open(sampleDir + "/runs.csv", &error), qPrintable(error));  // finds summary.csv next to it
        QCOMPARE(opened.size(), 1);
        QCOMPARE(opened.first().first().toString(), sampleDir + "/summary.csv");
        QVERIFY(page.hasData());
        QVERIFY(page.cpuChart()->placeholderText().isEmpty());

        // Figure 4: one bar per scheme, in the file's order, coloured by kind.
        ChartView* cpu = page.cpuChart();
        QCOMPARE(cpu->barCategories(), labels);
        QCOMPARE(cpu->barSetNames(),
                 QStringList({"boot", "fork", "warm spares"}));
        QCOMPARE(cpu->barValues("boot"), QList<double>({160.0, 0, 0, 0, 0}));
        QCOMPARE(cpu->barValues("fork"), QList<double>({0, 120.3, 117.3, 111.7, 0}));
        QCOMPARE(cpu->barValues("warm spares"), QList<double>({0, 0, 0, 0, 104.0}));
        QCOMPARE(cpu->barLabels(), QStringList({"", "\u221224.8% vs boot", "\u221226.7% vs boot", "\u221230.2% vs boot",
                                                "\u221235.0% vs boot"}));
        QVERIFY(cpu->yRange().second >= 160.0 * 1.25);  // room for the labels over the tallest bar
        QCOMPARE(cpu->yRange().first, 0.0);

        // Figure 5: means, each with its 95% confidence interval, and relative to boot.
        ChartView* time = page.timeChart();
        QCOMPARE(time->barCategories(), labels);
        QCOMPARE(time->barValues("fork"), QList<double>({0, 2433.0, 2409.0, 2401.0, 0}));
        const QList<QPair<double, double>> ci = time->errorBars();
        QCOMPARE(ci.size(), 5);
        QCOMPARE(ci[0], qMakePair(2500.0 - 9.1, 2500.0 + 9.1));
        QCOMPARE(ci[3], qMakePair(2401.0 - 8.0, 2401.0 + 8.0));
        QCOMPARE(time->barLabels().first(), QString("100.0%"));
        QCOMPARE(time->barLabels()[1], QString("97.3%"));  // the paper's "relative time"
        QVERIFY(time->yRange().second >= 2509.1);

        // What was measured, on both charts and over them.
        for (ChartView* v : {cpu, time}) {
            QVERIFY2(v->subtitle().startsWith("summary.csv \u00b7 1 run failed \u00b7 TEST DATA"), qPrintable(v->subtitle()));
        }
        QVERIFY(cpu->subtitle().size() <= 140);
        QVERIFY(page.sourceLabel()->text().contains("nested=yes"));
        QVERIFY(page.sourceLabel()->toolTip().contains("# workload=fanout-fft.py size=4096"));
        QVERIFY(page.sourceLabel()->toolTip().contains(sampleDir + "/runs.csv"));

        // Every column of both files.
        auto* summary = qobject_cast<CsvTableModel*>(page.findChild<QTableView*>("benchmarkSummaryTable")->model());
        auto* runs = qobject_cast<CsvTableModel*>(page.findChild<QTableView*>("benchmarkRunsTable")->model());
        QAbstractItemModelTester summaryTester(summary, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester runsTester(runs, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(summary->rowCount(), 5);
        QCOMPARE(summary->columnCount(), 12);
        QCOMPARE(summary->headerData(10, Qt::Horizontal).toString(), QString("peak_pss_mib"));
        QCOMPARE(summary->index(3, 10).data().toString(), QString("590.7"));
        QCOMPARE(summary->index(3, 10).data(Qt::TextAlignmentRole).value<Qt::Alignment>() & Qt::AlignRight, Qt::AlignRight);
        QCOMPARE(summary->index(0, 1).data(Qt::TextAlignmentRole).value<Qt::Alignment>() & Qt::AlignLeft, Qt::AlignLeft);
        QCOMPARE(summary->index(0, 0).data(Qt::ToolTipRole).toString(), QString("summary.csv, line 6"));
        QCOMPARE(runs->rowCount(), 40);
        QCOMPARE(runs->columnCount(), 7);
        QVERIFY(page.tables()->isTabEnabled(1));
    }

    // Opening a bad file (or dropping one) names it and changes nothing.
    void badFileChangesNothing()
    {
        BenchmarkCharts page;
        QString error;
        QVERIFY2(page.open(sampleDir, &error), qPrintable(error));
        QTemporaryDir dir;
        const QString bad = dir.filePath("summary.csv");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("# n=2\nscheme,label,n,ok,host_cpu_s\nboot,b,1,1,2\n");
        f.close();
        QSignalSpy opened(&page, &BenchmarkCharts::opened);
        QSignalSpy failed(&page, &BenchmarkCharts::openFailed);
        QVERIFY(!page.open(bad, &error));
        QVERIFY2(error.startsWith(bad + " line 2: the header lacks"), qPrintable(error));
        drop(&page, {QUrl::fromLocalFile(bad)});
        QCOMPARE(failed.size(), 1);
        QCOMPARE(failed.first().first().toString(), error);
        QCOMPARE(opened.size(), 0);
        QCOMPARE(page.benchmark()->summary.path, sampleDir + "/summary.csv");
        QCOMPARE(page.cpuChart()->barCategories(), labels);
        QCOMPARE(page.timeChart()->errorBars().size(), 5);

        // Two files, or a web address: not taken.
        drop(&page, {QUrl::fromLocalFile(bad), QUrl::fromLocalFile(sampleDir + "/summary.csv")});
        drop(&page, {QUrl("https://example.org/summary.csv")});
        QCOMPARE(failed.size(), 1);
        QCOMPARE(opened.size(), 0);
        // A good one dropped: opened.
        drop(&page, {QUrl::fromLocalFile(sampleDir)});
        QCOMPARE(opened.size(), 1);
    }

    // Without a boot row or runs.csv: no "vs boot" labels, the Runs tab off.
    void summaryAlone()
    {
        QTemporaryDir dir;
        QFile f(dir.filePath("summary.csv"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("scheme,label,n,ok,host_cpu_s,wall_s,bench_mean_ms,bench_ci95_ms,completion_mean_s,completion_ci95_s,"
                "peak_pss_mib,cpu_saved_pct\n"
                "fork-after-import,,1,1,5,2,2400,,2,,,\nmine,my scheme,1,1,6,2,2500,,2,,,\n");
        f.close();
        BenchmarkCharts page;
        QString error;
        QVERIFY2(page.open(dir.path(), &error), qPrintable(error));
        QCOMPARE(page.cpuChart()->barCategories(), QStringList({"fork-after-import", "my scheme"}));
        QCOMPARE(page.cpuChart()->barSetNames(), QStringList({"fork", "other"}));
        QCOMPARE(page.cpuChart()->barLabels(), QStringList({"", ""}));
        QCOMPARE(page.timeChart()->barLabels(), QStringList({"", ""}));
        const QList<QPair<double, double>> ci = page.timeChart()->errorBars();
        QCOMPARE(ci.size(), 2);
        QVERIFY(std::isnan(ci[0].first));  // no CI: no error bar
        QVERIFY(!page.tables()->isTabEnabled(1));
        QVERIFY(page.sourceLabel()->text().contains("no metadata"));
    }

    void exports()
    {
        BenchmarkCharts page;
        QString error;
        QVERIFY2(page.open(sampleDir, &error), qPrintable(error));
        QTemporaryDir dir;
        const QSize size = BenchmarkCharts::exportSize;
        QVERIFY2(page.exportPng(dir.filePath("b.png"), &error), qPrintable(error));
        const QImage png(dir.filePath("b.png"));
        QCOMPARE(png.size(), size);
        QVERIFY(colourCount(png) > 20);
        // Both figures: each half has the bars' blue.
        auto hasBlue = [&](int y0, int y1) {
            for (int y = y0; y < y1; y += 3)
                for (int x = 0; x < png.width(); x += 3)
                    if (png.pixelColor(x, y) == QColor("#4e79a7")) return true;
            return false;
        };
        QVERIFY(hasBlue(0, size.height() / 2));
        QVERIFY(hasBlue(size.height() / 2, size.height()));

        QVERIFY2(page.exportSvg(dir.filePath("b.svg"), &error), qPrintable(error));
        const QByteArray svg = readAll(dir.filePath("b.svg"));
        QSvgRenderer renderer(svg);
        QVERIFY(renderer.isValid());
        QCOMPARE(renderer.viewBox(), QRect(QPoint(0, 0), size));
        QVERIFY(svg.contains("vs boot"));  // the labels are in the picture
        QVERIFY(svg.contains("97.3%"));
        QVERIFY(svg.contains("n=8"));      // and the subtitle

        QVERIFY2(exportCsv(*page.benchmark(), dir.filePath("b.csv"), &error), qPrintable(error));
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        QVERIFY(page.writeCsv(&buffer, &error));
        QCOMPARE(readAll(dir.filePath("b.csv")), buffer.data());
        QVERIFY(buffer.data().startsWith("# TEST DATA"));

        QVERIFY(!page.exportPng("/nonexistent/dir/b.png", &error));
        QCOMPARE(error.left(36), QString("cannot write /nonexistent/dir/b.png:"));
        QVERIFY(!exportCsv(*page.benchmark(), "/nonexistent/dir/b.csv", &error));
        QVERIFY(error.startsWith("cannot write /nonexistent/dir/b.csv"));
    }

    // ChartView's bar labels and error bars follow the bars; other categories drop them.
    void chartViewLabelsAndErrorBars()
    {
        ChartView view;
        view.resize(500, 300);
        view.setStackedBars({"a", "b"}, {{"s", Qt::blue, {10, 20}}});
        view.setErrorBars({{8, 12}, {15, 30}}, "ci");
        QCOMPARE(view.yRange().second, 30.0);
        view.setBarLabels({"x", "y", "ignored"});
        QCOMPARE(view.barLabels(), QStringList({"x", "y"}));
        QVERIFY(view.yRange().second >= 30 * 1.25);
        view.setStackedBars({"a", "b"}, {{"s", Qt::blue, {11, 21}}});  // same categories: kept
        QCOMPARE(view.barLabels(), QStringList({"x", "y"}));
        QCOMPARE(view.errorBars().size(), 2);
        view.setStackedBars({"c"}, {{"s", Qt::blue, {5}}});
        QVERIFY(view.barLabels().isEmpty());
        QVERIFY(view.errorBars().isEmpty());
        QCOMPARE(view.yRange().second, 5.0);
        view.setSubtitle("n=8 & <b>");
        QCOMPARE(view.subtitle(), QString("n=8 & <b>"));
        QVERIFY(!view.renderImage(QSize(400, 300)).isNull());
        // Long names in a narrow chart are drawn wrapped; the categories stay as given.
        const QStringList longNames{"fork after the interpreter", "warm spares (template after import)"};
        view.resize(260, 300);
        view.setStackedBars(longNames, {{"s", Qt::blue, {1, 2}}});
        QCOMPARE(view.barCategories(), longNames);
        QVERIFY(!view.renderImage(QSize(300, 300)).isNull());
        QCOMPARE(view.barCategories(), longNames);
        view.clear();  // line mode: none left
        QVERIFY(view.barLabels().isEmpty());
        QVERIFY(view.errorBars().isEmpty());
    }
};

QTEST_MAIN(TestBenchmarkCharts)
#include "tst_benchmark_charts.moc"
