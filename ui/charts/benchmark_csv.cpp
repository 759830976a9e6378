#include "charts/benchmark_csv.h"

#include "charts/fork_latency_table.h"  // csvField

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QIODevice>
#include <QLocale>
#include <QSet>
#include <QStringDecoder>

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>

namespace hf::ui {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("hf::ui::BenchmarkCsv", text); }

QString at(const QString& path, int line) { return tr("%1 line %2").arg(path).arg(line); }

// Splits one line into fields, RFC 4180: a field in double quotes may hold
// commas and "" for a quote. nullopt: a quote left open (a field over
// several lines, which these files never have); empty: more than maxColumns.
std::optional<QStringList> splitFields(const QString& line)
{
    QStringList fields;
    QString field;
    bool quoted = false, wasQuoted = false;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted) {
            if (c != '"') {
                field += c;
            } else if (i + 1 < line.size() && line[i + 1] == '"') {
                field += c;
                ++i;
            } else {
                quoted = false;
            }
        } else if (c == '"' && field.trimmed().isEmpty() && !wasQuoted) {
            quoted = wasQuoted = true;
            field.clear();
        } else if (c == ',') {
            if (fields.size() >= BenchmarkCsv::maxColumns) return QStringList();  // never a benchmark's
            fields << (wasQuoted ? field : field.trimmed());
            field.clear();
            wasQuoted = false;
        } else if (!wasQuoted || !c.isSpace()) {
            field += c;
        }
    }
    if (quoted) return std::nullopt;
    fields << (wasQuoted ? field : field.trimmed());
    return fields;
}

// Reads a cell as a number: finite, not negative (these are times, sizes,
// counts and percentages; only cpu_saved_pct may be negative, a scheme
// costing more than boot). Empty: `empty` when allowed, else an error.
struct NumberReader {
    const CsvTable& table;
    int row;
    QString* error;

    bool fail(const QString& why) const
    {
        if (error) *error = tr("%1: %2").arg(at(table.path, table.lines[row]), why);
        return false;
    }

    bool number(const QString& column, double* out, bool allowEmpty, bool allowNegative = false) const
    {
        const QString text = table.rows[row][table.column(column)];
        if (text.isEmpty()) {
            if (!allowEmpty) return fail(tr("column %1 is empty").arg(column));
            *out = noValue;
            return true;
        }
        bool ok = false;
        const double v = QLocale::c().toDouble(text, &ok);
        if (!ok || !std::isfinite(v)) return fail(tr("column %1: \"%2\" is not a number").arg(column, text.left(40)));
        if (v < 0 && !allowNegative) return fail(tr("column %1: %2 is negative").arg(column, text));
        *out = v;
        return true;
    }

    bool count(const QString& column, int* out) const
    {
        const QString text = table.rows[row][table.column(column)];
        bool ok = false;
        const int v = QLocale::c().toInt(text, &ok);
        if (!ok || v < 0) return fail(tr("column %1: \"%2\" is not a count").arg(column, text.left(40)));
        *out = v;
        return true;
    }

    bool flag(const QString& column, bool* out) const
    {
        const QString text = table.rows[row][table.column(column)].toLower();
        if (text == "1" || text == "true" || text == "yes" || text == "ok") *out = true;
        else if (text == "0" || text == "false" || text == "no" || text == "failed") *out = false;
        else return fail(tr("column %1: \"%2\" is neither 1 nor 0").arg(column, text.left(40)));
        return true;
    }
};

bool checkColumns(const CsvTable& table, const QStringList& wanted, QString* error)
{
    QStringList missing;
    for (const QString& c : wanted)
        if (table.column(c) < 0) missing << c;
    if (missing.isEmpty()) return true;
    if (error) {
        *error = tr("%1: the header lacks %2 (it must name %3)")
                     .arg(at(table.path, table.headerLine), missing.join(", "), wanted.join(","));
    }
    return false;
}

// Reads at most maxFileBytes of a regular file. Opened non-blocking and
// checked on the open descriptor: a FIFO or device put there is refused,
// never waited on.
std::optional<QByteArray> readFile(const QString& path, QString* error)
{
    auto fail = [&](const QString& why) {
        if (error) *error = tr("%1: %2").arg(path, why);
        return std::nullopt;
    };
    QFile file;
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return fail(errno == ENOENT ? tr("no such file") : QString::fromLocal8Bit(std::strerror(errno)));
    file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle);  // owns fd from here
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(QString::fromLocal8Bit(std::strerror(errno)));
    if (S_ISDIR(st.st_mode)) return fail(tr("a folder, not a file"));
    if (!S_ISREG(st.st_mode)) return fail(tr("not a regular file"));
    if (st.st_size > BenchmarkCsv::maxFileBytes)
        return fail(tr("%1, too large for a benchmark's CSV (at most %2)")
                        .arg(QLocale().formattedDataSize(st.st_size, 1, QLocale::DataSizeIecFormat),
                             QLocale().formattedDataSize(BenchmarkCsv::maxFileBytes, 0, QLocale::DataSizeIecFormat)));
    QByteArray data = file.read(BenchmarkCsv::maxFileBytes + 1);  // it may have grown since
    if (file.error() != QFileDevice::NoError) return fail(file.errorString());
    if (data.size() > BenchmarkCsv::maxFileBytes) return fail(tr("too large for a benchmark's CSV"));
    return data;
}

}  // namespace

BenchmarkScheme::Kind BenchmarkScheme::kind() const
{
    if (id == "boot") return Kind::Boot;
    if (id.startsWith("warm")) return Kind::WarmSpares;
    if (id.startsWith("fork")) return Kind::Fork;
    return Kind::Other;
}

const BenchmarkScheme* Benchmark::boot() const
{
    for (const BenchmarkScheme& s : schemes)
        if (s.kind() == BenchmarkScheme::Kind::Boot) return &s;
    return nullptr;
}

double Benchmark::cpuSavedPct(const BenchmarkScheme& scheme) const
{
    if (scheme.kind() == BenchmarkScheme::Kind::Boot) return noValue;
    if (!std::isnan(scheme.cpuSavedPct)) return scheme.cpuSavedPct;
    const BenchmarkScheme* b = boot();
    if (!b || !(b->hostCpuS > 0)) return noValue;
    return 100.0 * (b->hostCpuS - scheme.hostCpuS) / b->hostCpuS;
}

QStringList Benchmark::metadata() const
{
    QStringList lines = summary.metadata;
    if (runsTable)
        for (const QString& l : runsTable->metadata)
            if (!lines.contains(l)) lines << l;
    return lines;
}

int Benchmark::failedRuns() const
{
    int failed = 0;
    for (const BenchmarkRun& r : runs) failed += r.ok ? 0 : 1;
    return failed;
}

bool Benchmark::writeCsv(QIODevice* out, QString* error) const
{
    QByteArray text;
    for (const QString& m : summary.metadata) text += "# " + m.toUtf8() + '\n';
    auto line = [&](const QStringList& cells) {
        QStringList quoted;
        for (const QString& c : cells) quoted << csvField(c);
        text += quoted.join(',').toUtf8() + '\n';
    };
    line(summary.header);
    for (const QStringList& row : summary.rows) line(row);
    if (out->write(text) != text.size()) {
        if (error) *error = out->errorString();
        return false;
    }
    return true;
}

const QStringList& BenchmarkCsv::summaryColumns()
{
    static const QStringList columns{"scheme",        "label",         "n",           "ok",
                                     "host_cpu_s",    "wall_s",        "bench_mean_ms", "bench_ci95_ms",
                                     "completion_mean_s", "completion_ci95_s", "peak_pss_mib", "cpu_saved_pct"};
    return columns;
}

const QStringList& BenchmarkCsv::runsColumns()
{
    static const QStringList columns{"scheme", "run", "vm", "ok", "bench_ms", "completion_s", "digest"};
    return columns;
}

QString BenchmarkCsv::summaryPathFor(const QString& path)
{
    const QFileInfo info(path);
    if (info.isDir()) return QDir(path).filePath("summary.csv");
    if (info.fileName() == "summary.csv") return path;
    return info.dir().filePath("summary.csv");  // runs.csv, or another file of the same run
}

std::optional<CsvTable> BenchmarkCsv::parseCsv(const QByteArray& data, const QString& path, QString* error)
{
    CsvTable table;
    table.path = path;
    auto fail = [&](int line, const QString& why) {
        if (error) *error = tr("%1: %2").arg(at(path, line), why);
        return std::nullopt;
    };
    if (data.isEmpty()) {
        if (error) *error = tr("%1: the file is empty (a header line is needed)").arg(path);
        return std::nullopt;
    }
    int lineNo = 0;
    qsizetype start = 0;
    while (start < data.size()) {
        ++lineNo;
        qsizetype end = data.indexOf('\n', start);
        if (end < 0) end = data.size();
        QByteArrayView bytes(data.constData() + start, end - start);
        start = end + 1;
        if (bytes.endsWith('\r')) bytes.chop(1);
        if (bytes.contains('\0')) return fail(lineNo, tr("binary data (a NUL byte), not CSV text"));
        QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
        const QString text = utf8.decode(bytes);
        if (utf8.hasError()) return fail(lineNo, tr("not UTF-8 text"));
        const QString trimmed = text.trimmed();
        if (trimmed.isEmpty()) continue;
        if (trimmed.startsWith('#')) {
            table.metadata << trimmed.mid(1).trimmed();
            continue;
        }
        const std::optional<QStringList> fields = splitFields(text);
        if (!fields) return fail(lineNo, tr("a quoted field does not end on its line"));
        if (fields->isEmpty()) return fail(lineNo, tr("more than %1 fields").arg(maxColumns));
        if (table.header.isEmpty()) {
            QSet<QString> seen;
            for (const QString& name : *fields) {
                if (name.isEmpty()) return fail(lineNo, tr("the header has an empty column name"));
                if (seen.contains(name)) return fail(lineNo, tr("the header names %1 twice").arg(name));
                seen.insert(name);
            }
            table.header = *fields;
            table.headerLine = lineNo;
            continue;
        }
        if (fields->size() != table.header.size())
            return fail(lineNo, tr("%1 fields where the header has %2").arg(fields->size()).arg(table.header.size()));
        if (table.rows.size() >= maxRows) return fail(lineNo, tr("more than %1 rows").arg(maxRows));
        table.rows << *fields;
        table.lines << lineNo;
    }
    if (table.header.isEmpty()) {
        if (error) *error = tr("%1: no header line, only comments or blank lines").arg(path);
        return std::nullopt;
    }
    return table;
}

std::optional<QList<BenchmarkScheme>> BenchmarkCsv::parseSummary(const CsvTable& table, QString* error)
{
    if (!checkColumns(table, summaryColumns(), error)) return std::nullopt;
    if (table.rows.isEmpty()) {
        if (error) *error = tr("%1: no schemes, only a header").arg(table.path);
        return std::nullopt;
    }
    if (table.rows.size() > maxSchemes) {
        if (error) *error = tr("%1: more than %2 schemes").arg(at(table.path, table.lines[maxSchemes]), QString::number(maxSchemes));
        return std::nullopt;
    }
    QList<BenchmarkScheme> schemes;
    QSet<QString> ids;
    for (int r = 0; r < table.rows.size(); ++r) {
        const NumberReader read{table, r, error};
        BenchmarkScheme s;
        s.id = table.rows[r][table.column("scheme")];
        if (s.id.isEmpty()) {
            read.fail(tr("column scheme is empty"));
            return std::nullopt;
        }
        if (ids.contains(s.id)) {
            read.fail(tr("scheme %1 again").arg(s.id));
            return std::nullopt;
        }
        ids.insert(s.id);
        s.label = table.rows[r][table.column("label")];
        if (s.label.isEmpty()) s.label = s.id;
        // The means are what the charts draw: required. A CI needs n >= 2,
        // PSS may not have been measured, boot saves nothing against itself.
        if (!read.count("n", &s.n) || !read.count("ok", &s.ok) || !read.number("host_cpu_s", &s.hostCpuS, false) ||
            !read.number("wall_s", &s.wallS, false) || !read.number("bench_mean_ms", &s.benchMeanMs, false) ||
            !read.number("bench_ci95_ms", &s.benchCi95Ms, true) ||
            !read.number("completion_mean_s", &s.completionMeanS, false) ||
            !read.number("completion_ci95_s", &s.completionCi95S, true) ||
            !read.number("peak_pss_mib", &s.peakPssMib, true) ||
            !read.number("cpu_saved_pct", &s.cpuSavedPct, true, true))
            return std::nullopt;
        if (s.ok > s.n) {
            read.fail(tr("ok is %1, more than n (%2)").arg(s.ok).arg(s.n));
            return std::nullopt;
        }
        schemes << s;
    }
    return schemes;
}

std::optional<QList<BenchmarkRun>> BenchmarkCsv::parseRuns(const CsvTable& table, QString* error)
{
    if (!checkColumns(table, runsColumns(), error)) return std::nullopt;
    QList<BenchmarkRun> runs;
    runs.reserve(table.rows.size());
    for (int r = 0; r < table.rows.size(); ++r) {
        const NumberReader read{table, r, error};
        BenchmarkRun run;
        run.scheme = table.rows[r][table.column("scheme")];
        if (run.scheme.isEmpty()) {
            read.fail(tr("column scheme is empty"));
            return std::nullopt;
        }
        run.vm = table.rows[r][table.column("vm")];
        run.digest = table.rows[r][table.column("digest")];
        // A failed run may have no times.
        if (!read.count("run", &run.run) || !read.flag("ok", &run.ok) ||
            !read.number("bench_ms", &run.benchMs, true) || !read.number("completion_s", &run.completionS, true))
            return std::nullopt;
        runs << run;
    }
    return runs;
}

std::optional<Benchmark> BenchmarkCsv::load(const QString& path, QString* error)
{
    const QString summaryPath = summaryPathFor(path);
    if (summaryPath != path && !QFileInfo(summaryPath).isFile()) {
        if (error)
            *error = QFileInfo(path).isDir() ? tr("%1: no summary.csv in this folder").arg(path)
                                             : tr("%1: no summary.csv next to it").arg(path);
        return std::nullopt;
    }
    Benchmark b;
    const std::optional<QByteArray> summaryData = readFile(summaryPath, error);
    if (!summaryData) return std::nullopt;
    std::optional<CsvTable> summary = parseCsv(*summaryData, summaryPath, error);
    if (!summary) return std::nullopt;
    std::optional<QList<BenchmarkScheme>> schemes = parseSummary(*summary, error);
    if (!schemes) return std::nullopt;
    b.summary = std::move(*summary);
    b.schemes = std::move(*schemes);

    const QString runsPath = QFileInfo(summaryPath).dir().filePath("runs.csv");
    if (!QFileInfo::exists(runsPath)) return b;  // the summary alone draws both charts
    const std::optional<QByteArray> runsData = readFile(runsPath, error);
    if (!runsData) return std::nullopt;
    std::optional<CsvTable> runsTable = parseCsv(*runsData, runsPath, error);
    if (!runsTable) return std::nullopt;
    std::optional<QList<BenchmarkRun>> runs = parseRuns(*runsTable, error);
    if (!runs) return std::nullopt;
    QSet<QString> ids;
    for (const BenchmarkScheme& s : b.schemes) ids.insert(s.id);
    for (int r = 0; r < runs->size(); ++r)
        if (!ids.contains((*runs)[r].scheme)) {
            if (error)
                *error = tr("%1: scheme %2 is not in %3")
                             .arg(at(runsPath, runsTable->lines[r]), (*runs)[r].scheme, summaryPath);
            return std::nullopt;
        }
    b.runsTable = std::move(*runsTable);
    b.runs = std::move(*runs);
    return b;
}

}  // namespace hf::ui
