#include "charts/chart_export.h"

#include "charts/chart_view.h"
#include "charts/cow_history.h"
#include "charts/fork_latency_table.h"

#include <QSaveFile>

namespace hf::ui {

bool exportChartPng(const ChartView* chart, const QString& path, QString* error) { return chart->exportPng(path, error); }

bool exportChartSvg(const ChartView* chart, const QString& path, QString* error) { return chart->exportSvg(path, error); }

namespace {

template <typename Source>
bool writeCsvFile(const Source& source, const QString& path, QString* error)
{
    QSaveFile file(path);
    QString why;
    if (!file.open(QIODevice::WriteOnly) || !source.writeCsv(&file, &why) || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, why.isEmpty() ? file.errorString() : why);
        return false;
    }
    return true;
}

}  // namespace

bool exportCsv(const ForkLatencyTable& table, const QString& path, QString* error) { return writeCsvFile(table, path, error); }

bool exportCsv(const CowHistory& history, const QString& path, QString* error) { return writeCsvFile(history, path, error); }

}  // namespace hf::ui
