#include "charts/chart_export.h"

#include "charts/benchmark_csv.h"
#include "charts/chart_view.h"
#include "charts/metrics_history.h"
#include "charts/fork_latency_table.h"

#include <QCoreApplication>
#include <QSaveFile>

namespace hf::ui {

bool exportChartPng(const ChartView* chart, const QString& path, QString* error, const QSize& size)
{
    return chart->exportPng(path, error, size);
}

bool exportChartSvg(const ChartView* chart, const QString& path, QString* error, const QSize& size)
{
    return chart->exportSvg(path, error, size);
}

namespace {

template <typename Source>
bool writeCsvFile(const Source& source, const QString& path, QString* error)
{
    QSaveFile file(path);
    QString why;
    if (!file.open(QIODevice::WriteOnly) || !source.writeCsv(&file, &why) || !file.commit()) {
        if (error)
            *error = QCoreApplication::translate("hf::ui::ChartView", "cannot write %1: %2")
                         .arg(path, why.isEmpty() ? file.errorString() : why);
        return false;
    }
    return true;
}

}  // namespace

bool exportCsv(const ForkLatencyTable& table, const QString& path, QString* error) { return writeCsvFile(table, path, error); }

bool exportCsv(const MetricsHistory& history, const QString& path, QString* error) { return writeCsvFile(history, path, error); }

bool exportCsv(const Benchmark& benchmark, const QString& path, QString* error) { return writeCsvFile(benchmark, path, error); }

}  // namespace hf::ui
