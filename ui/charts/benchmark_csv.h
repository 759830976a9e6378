#pragma once
// A benchmark's results as bench/python-fanout writes them (issue 15,
// docs/benchmarks.md): summary.csv, one row per scheme (boot every VM, the
// paper's three fork points, warm spares), and runs.csv next to it, one row
// per run. Both may begin with "# key=value" metadata lines.
//
// Pure code, no widget: the Benchmark charts draw what this reads. Reading
// refuses anything else with one line naming the file and the line ("…/x.csv
// line 4: column wall_s: "fast" is not a number"), never reads more than
// maxFileBytes, and reads nothing but regular files (a FIFO is not waited on).
#include <QList>
#include <QString>
#include <QStringList>

#include <limits>
#include <optional>

class QByteArray;
class QIODevice;

namespace hf::ui {

inline constexpr double noValue = std::numeric_limits<double>::quiet_NaN();

// A CSV file as read: every column and cell as text, for the tables that
// show them all (columns this app does not know included).
struct CsvTable {
    QString path;
    QStringList metadata;  // the '#' lines, without the '#' and blanks around
    QStringList header;
    int headerLine = 0;
    QList<QStringList> rows;
    QList<int> lines;  // each row's line number in the file, from 1

    int column(const QString& name) const { return static_cast<int>(header.indexOf(name)); }
};

struct BenchmarkScheme {
    enum class Kind { Boot, Fork, WarmSpares, Other };

    QString id;     // "boot", "fork-after-boot", "fork-after-interpreter", "fork-after-import", "warm-spares"
    QString label;  // human text; the id when the file has none
    int n = 0;      // runs
    int ok = 0;     // runs whose result checked out
    double hostCpuS = 0;  // host CPU time of all its VMM processes
    double wallS = 0;     // to all n done
    double benchMeanMs = 0;
    double benchCi95Ms = noValue;   // half-width of the 95% confidence interval; NaN: none (n = 1)
    double completionMeanS = 0;
    double completionCi95S = noValue;
    double peakPssMib = noValue;    // NaN: not measured
    double cpuSavedPct = noValue;   // against boot, as the file says; NaN: empty (boot's own row)

    Kind kind() const;
};

struct BenchmarkRun {
    QString scheme;
    int run = 0;
    QString vm;
    bool ok = false;
    double benchMs = noValue;       // NaN: empty (a failed run)
    double completionS = noValue;
    QString digest;
};

struct Benchmark {
    CsvTable summary;
    std::optional<CsvTable> runsTable;  // none: no runs.csv next to summary.csv
    QList<BenchmarkScheme> schemes;     // in the file's order
    QList<BenchmarkRun> runs;

    // The "boot" row, or null.
    const BenchmarkScheme* boot() const;
    // CPU saved against boot, in %: the file's value, else computed from
    // host_cpu_s when there is a boot row; NaN for boot itself or without one.
    double cpuSavedPct(const BenchmarkScheme& scheme) const;
    // summary.csv's metadata, then runs.csv's lines not already in it.
    QStringList metadata() const;
    // Runs whose ok is false.
    int failedRuns() const;
    // summary.csv again: metadata, header and rows as read (the chart data's CSV export).
    bool writeCsv(QIODevice* out, QString* error) const;
};

class BenchmarkCsv {
public:
    static constexpr qint64 maxFileBytes = 8 * 1024 * 1024;  // 64 runs x 5 schemes take 30 KB
    static constexpr int maxRows = 100000;
    static constexpr int maxColumns = 1000;
    static constexpr int maxSchemes = 32;  // bars on one chart

    static const QStringList& summaryColumns();
    static const QStringList& runsColumns();

    // The summary.csv meant by `path`: itself, the summary.csv next to a
    // runs.csv (or any file), or the one in a directory.
    static QString summaryPathFor(const QString& path);
    // Reads the summary.csv meant by `path` and the runs.csv next to it, if
    // any. nullopt with "<file> line N: why" (or "<file>: why") in *error.
    static std::optional<Benchmark> load(const QString& path, QString* error);

    // The steps of load(), for tests: `path` only names the file in errors.
    static std::optional<CsvTable> parseCsv(const QByteArray& data, const QString& path, QString* error);
    static std::optional<QList<BenchmarkScheme>> parseSummary(const CsvTable& table, QString* error);
    static std::optional<QList<BenchmarkRun>> parseRuns(const CsvTable& table, QString* error);
};

}  // namespace hf::ui
