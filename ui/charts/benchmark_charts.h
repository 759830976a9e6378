#pragma once
// The charts dock's Benchmark page: a benchmark's summary.csv drawn as the
// HyperFork paper's Figures 4 and 5 (issue 15) — the host CPU time of all
// VMs per scheme, each fork scheme labelled with what it saves against
// booting every VM, and the mean benchmark time per scheme with its 95%
// confidence interval — then every column of summary.csv and runs.csv in
// tables below. Opened from a file (File > Open Benchmark…) or dropped onto
// it; a file that cannot be read changes nothing.
#include "charts/benchmark_csv.h"

#include <QSize>
#include <QWidget>

#include <optional>

class QIODevice;
class QLabel;
class QSplitter;
class QTabWidget;
class QTableView;

namespace hf::ui {

class ChartView;
class CsvTableModel;

class BenchmarkCharts : public QWidget {
    Q_OBJECT
public:
    // Both figures, one above the other.
    static constexpr QSize exportSize{1200, 1100};

    explicit BenchmarkCharts(QWidget* parent = nullptr);

    // Reads the summary.csv meant by `path` (BenchmarkCsv::summaryPathFor)
    // and shows it; false with the reason in *error, the page unchanged.
    bool open(const QString& path, QString* error);
    void setBenchmark(const Benchmark& benchmark);
    bool hasData() const { return m_benchmark.has_value(); }
    const Benchmark* benchmark() const { return m_benchmark ? &*m_benchmark : nullptr; }

    ChartView* cpuChart() const { return m_cpu; }   // Figure 4
    ChartView* timeChart() const { return m_time; }  // Figure 5
    QLabel* sourceLabel() const { return m_source; }
    QTabWidget* tables() const { return m_tables; }

    // Both charts in one picture; the file written atomically, false with
    // "cannot write <path>: why" in *error. Nothing to export: an error too.
    bool exportPng(const QString& path, QString* error, const QSize& size = exportSize) const;
    bool exportSvg(const QString& path, QString* error, const QSize& size = exportSize) const;
    // summary.csv as read (the charts' data).
    bool writeCsv(QIODevice* out, QString* error) const;

    // The label over a fork scheme's CPU bar: "−24.8% vs boot".
    static QString savedText(double pct);

Q_SIGNALS:
    // A benchmark was opened (from open() or a drop): summary.csv's path.
    void opened(const QString& summaryPath);
    // A dropped file could not be opened: the reason, naming the file.
    void openFailed(const QString& error);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void draw();
    void paintBoth(QPainter* painter, const QSize& size) const;

    std::optional<Benchmark> m_benchmark;
    QLabel* m_source;
    ChartView* m_cpu;
    ChartView* m_time;
    QTabWidget* m_tables;
    QTableView* m_summaryView;
    QTableView* m_runsView;
    CsvTableModel* m_summaryModel;
    CsvTableModel* m_runsModel;
    QSplitter* m_splitter;
};

}  // namespace hf::ui
