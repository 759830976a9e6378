// File > Open Benchmark… in the whole app (offscreen, a fake daemon): a
// benchmark's summary.csv (here tests/ui/data/benchmark, made-up numbers)
// lands on the charts dock's Benchmark tab and exports as PNG, SVG and CSV
// through the window's export path; a bad file, opened or dropped, is one
// error box naming file and line, and nothing else changes.
#include "app_fixture.h"
#include "charts/benchmark_charts.h"
#include "charts/chart_view.h"
#include "window/main_window.h"
#include "window/resources.h"

#include <QAction>
#include <QDropEvent>
#include <QFile>
#include <QImage>
#include <QMenuBar>
#include <QMimeData>
#include <QStandardPaths>
#include <QStatusBar>
#include <QSvgRenderer>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using namespace hf::ui;
using namespace hf::ui::test;

namespace {

const QString sampleDir = QStringLiteral(HF_SOURCE_DIR "/tests/ui/data/benchmark");

}  // namespace

class TestOpenBenchmark : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("HyperForkTest");
        QCoreApplication::setApplicationName("tst_open_benchmark");
        initResources();
    }

    void openShowsAndExports()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        MainWindow* w = app.window.get();
        // In the File menu.
        QMenu* file = w->menuBar()->actions().first()->menu();
        QVERIFY(file->actions().contains(w->action("openBenchmark")));
        QCOMPARE(w->action("openBenchmark")->text().remove('&'), QString("Open Benchmark…"));
        BenchmarkCharts* page = w->benchmarkCharts();
        QVERIFY(w->chartTabs()->indexOf(page) >= 0);
        QCOMPARE(w->chartTabs()->tabText(w->chartTabs()->indexOf(page)), QString("Benchmark"));
        QWidget* before = w->chartTabs()->currentWidget();

        // A bad file: refused with file and line, the dock as it was.
        QTemporaryDir dir;
        const QString bad = dir.filePath("summary.csv");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("scheme,label,n,ok,host_cpu_s,wall_s,bench_mean_ms,bench_ci95_ms,completion_mean_s,completion_ci95_s,"
                "peak_pss_mib,cpu_saved_pct\nboot,b,8,8,12.5 s,1,1,1,1,1,1,\n");
        f.close();
        QString error;
        QVERIFY(!w->openBenchmark(bad, &error));
        QCOMPARE(error, bad + " line 2: column host_cpu_s: \"12.5 s\" is not a number");
        QCOMPARE(w->chartTabs()->currentWidget(), before);
        QVERIFY(!page->hasData());

        // The sample, through its runs.csv: the Benchmark tab shows, exports follow it.
        QVERIFY2(w->openBenchmark(sampleDir + "/runs.csv", &error), qPrintable(error));
        QCOMPARE(w->chartTabs()->currentWidget(), page);
        QVERIFY2(w->statusBar()->currentMessage().startsWith("Opened " + sampleDir + "/summary.csv"),
                 qPrintable(w->statusBar()->currentMessage()));
        QCOMPARE(page->cpuChart()->barCategoryCount(), 5);
        QAction* exportChart = w->action("exportChart");
        QVERIFY(exportChart->isEnabled());
        QCOMPARE(exportChart->text(), QString("Export Benchmark Charts…"));
        for (const char* name : {"exportChartPng", "exportChartSvg", "exportChartCsv"}) QVERIFY2(w->action(name)->isEnabled(), name);

        QVERIFY2(w->exportCurrentChart(dir.filePath("b.png"), &error), qPrintable(error));
        QCOMPARE(QImage(dir.filePath("b.png")).size(), BenchmarkCharts::exportSize);
        QVERIFY2(w->exportCurrentChart(dir.filePath("b.svg"), &error), qPrintable(error));
        QVERIFY(QSvgRenderer(dir.filePath("b.svg")).isValid());
        QVERIFY2(w->exportCurrentChart(dir.filePath("b.csv"), &error), qPrintable(error));
        QFile csv(dir.filePath("b.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(csv.readAll().contains("fork-after-import,fork after import numpy,8,8,111.7,"));
        QVERIFY(!w->exportCurrentChart(dir.filePath("b.txt"), &error));
        QVERIFY2(error.contains("unknown format"), qPrintable(error));

        // Another tab: the export is that chart's again.
        w->chartTabs()->setCurrentIndex(0);
        QVERIFY(!exportChart->text().contains("Benchmark"));
        w->chartTabs()->setCurrentWidget(page);

        // A bad file dropped on the page: one error box, the benchmark kept.
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(bad)});
        QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(page, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QCoreApplication::sendEvent(page, &drop);
        QDialog* box = nullptr;
        QTRY_VERIFY((box = visibleDialog()) != nullptr);
        QVERIFY2(dialogText(box).contains(bad + " line 2"), qPrintable(dialogText(box)));
        box->close();
        QCOMPARE(page->benchmark()->summary.path, sampleDir + "/summary.csv");
        QCOMPARE(page->cpuChart()->barCategoryCount(), 5);
    }
};

QTEST_MAIN(TestOpenBenchmark)
#include "tst_open_benchmark.moc"
