#pragma once
// Chart and table export: PNG, SVG, CSV. Each is written atomically
// (QSaveFile: an existing file is replaced only by a complete one) and fails
// with "cannot write <path>: <why>" in *error (error may be null).
#include <QSize>
#include <QString>

namespace hf::ui {

class ChartView;
class MetricsHistory;
class ForkLatencyTable;
struct Benchmark;

inline constexpr QSize defaultExportSize{1200, 700};

bool exportChartPng(const ChartView* chart, const QString& path, QString* error, const QSize& size = defaultExportSize);
bool exportChartSvg(const ChartView* chart, const QString& path, QString* error, const QSize& size = defaultExportSize);
bool exportCsv(const ForkLatencyTable& table, const QString& path, QString* error);
bool exportCsv(const MetricsHistory& history, const QString& path, QString* error);
// A benchmark's summary.csv as read (the Benchmark charts' data).
bool exportCsv(const Benchmark& benchmark, const QString& path, QString* error);

}  // namespace hf::ui
