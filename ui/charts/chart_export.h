#pragma once
// Chart and table export: PNG, SVG, CSV, each written atomically (QSaveFile)
// and failing with a message that names the path.
#include <QString>

namespace hf::ui {

class ChartView;
class CowHistory;
class ForkLatencyTable;

bool exportChartPng(const ChartView* chart, const QString& path, QString* error);
bool exportChartSvg(const ChartView* chart, const QString& path, QString* error);
bool exportCsv(const ForkLatencyTable& table, const QString& path, QString* error);
bool exportCsv(const CowHistory& history, const QString& path, QString* error);

}  // namespace hf::ui
