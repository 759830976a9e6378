// The copy-on-write chart says what a user wants to know, in MiB: the host
// memory the VMs really use (PSS summed) against what they would use
// without sharing (their resident sizes summed), never shared pages added
// up (four VMs sharing one 116 MiB image are not 464 MiB of sharing); one VM
// as shared/private lines; each VM as its own line; fork markers on the
// time axis; a visible selector; an empty chart that says why.
#include "app_fixture.h"
#include "charts/chart_view.h"
#include "charts/cow_chart.h"

#include <QComboBox>
#include <QLabel>

#include <cmath>

using namespace hf::ui;
using namespace hf::ui::test;

namespace {

constexpr qint64 t0 = 1790000000000;

// Four VMs, each with the same 116 MiB resident and shared, and 1 MiB of its own.
QJsonArray fourSharingOneImage()
{
    QJsonArray samples;
    for (int vm = 1; vm <= 4; ++vm) samples.append(sampleJson(vm, 29696, 256, 119808, 30720));
    return samples;
}

QJsonArray fourVms()
{
    return {vmJson(1, "ref", QJsonValue()), vmJson(2, "w-1", 1), vmJson(3, "w-2", 1), vmJson(4, "w-3", 1)};
}

double maxY(const ChartView* view)
{
    double m = 0;
    for (int s = 0; s < view->lineSeriesCount(); ++s)
        for (const QPointF& p : view->points(s)) m = std::max(m, p.y());
    return m;
}

// The last y of every line that has points.
QList<double> lastValues(const ChartView* view)
{
    QList<double> out;
    for (int s = 0; s < view->lineSeriesCount(); ++s)
        if (!view->points(s).isEmpty()) out << view->points(s).last().y();
    return out;
}

bool hasValue(const QList<double>& values, double v)
{
    for (double x : values)
        if (std::abs(x - v) < 0.01) return true;
    return false;
}

}  // namespace

class TestCowChart : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { useTestSettings("tst_cow_chart"); }
    void init() { QSettings().clear(); }

    void allVmsIsHostMemoryAgainstSizesInMib()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start(fourVms()));
        app.tick(t0, fourSharingOneImage());
        app.tick(t0 + 500, fourSharingOneImage());
        CowChart* chart = app.window->cowChart();
        QTRY_VERIFY(chart->chartView()->lineSeriesCount() > 0 && !chart->chartView()->points(0).isEmpty());
        chart->refresh();
        const ChartView* view = chart->chartView();
        // 4 x 117 MiB resident = 468 MiB of VMs; 4 x 30 MiB PSS = 120 MiB on the host.
        QVERIFY2(maxY(view) <= 468.01, qPrintable(QString::number(maxY(view))));
        const QList<double> last = lastValues(view);
        QVERIFY2(hasValue(last, 120), qPrintable(QString::number(last.value(0))));
        QVERIFY(hasValue(last, 468));
        QVERIFY2(view->title().contains("348 MiB"), qPrintable(view->title()));  // saved by sharing
    }

    void oneVmInMib()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start(fourVms()));
        app.tick(t0, fourSharingOneImage());
        QTRY_COMPARE(app.controller->metricsHistory()->totals().size(), size_t(1));
        CowChart* chart = app.window->cowChart();
        app.window->selectVm(2);
        QTRY_VERIFY(chart->shownVm() == std::optional<VmId>(2));
        chart->refresh();
        const QList<double> last = lastValues(chart->chartView());
        QVERIFY(hasValue(last, 116));  // shared
        QVERIFY(hasValue(last, 1));    // private
        QVERIFY(maxY(chart->chartView()) < 118);
        QVERIFY(chart->chartView()->title().contains("w-1"));
    }

    void selectorShowsWhatIsPlotted()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start(fourVms()));
        app.tick(t0, fourSharingOneImage());
        QTRY_COMPARE(app.controller->metricsHistory()->totals().size(), size_t(1));
        CowChart* chart = app.window->cowChart();
        auto* selector = chart->findChild<QComboBox*>("vmSelector");
        QVERIFY(selector);
        QTRY_VERIFY(selector->findText("w-3") >= 0);
        QVERIFY(selector->findText("All VMs") >= 0);
        // Each VM: one line per VM.
        selector->setCurrentIndex(selector->findText("Each VM"));
        chart->refresh();
        int withPoints = 0;
        for (int s = 0; s < chart->chartView()->lineSeriesCount(); ++s) {
            withPoints += !chart->chartView()->points(s).isEmpty();
        }
        QCOMPARE(withPoints, 4);
        // The tree's selection moves the selector.
        app.window->selectVm(3);
        QTRY_COMPARE(selector->currentText(), "w-2");
    }

    void emptyChartSaysWhy()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({}));
        auto* hint = app.window->cowChart()->findChild<QLabel*>("placeholder");
        QVERIFY(hint);
        QVERIFY2(hint->text().contains("Boot", Qt::CaseInsensitive), qPrintable(hint->text()));
        app.event("vm.booted", {{"vm", vmJson(1, "ref", QJsonValue())}});
        app.tick(t0, {sampleJson(1, 0, 2560, 10240, 10240)});
        QTRY_VERIFY(hint->isHidden());
    }
};

QTEST_MAIN(TestCowChart)
#include "tst_cow_chart.moc"
