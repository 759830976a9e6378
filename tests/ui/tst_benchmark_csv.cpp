// BenchmarkCsv without a display: the sample summary.csv and runs.csv of
// tests/ui/data/benchmark (made-up numbers, labelled test data), which file
// a path means, and every kind of bad input refused with the file and the
// line named: missing columns, non-numbers, wrong field counts, empty and
// binary files, a 50 MB file, a FIFO, runs of a scheme the summary lacks.
#include "charts/benchmark_csv.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

#include <cmath>

using namespace hf::ui;

namespace {

const QString sampleDir = QStringLiteral(HF_SOURCE_DIR "/tests/ui/data/benchmark");

const QByteArray header =
    "scheme,label,n,ok,host_cpu_s,wall_s,bench_mean_ms,bench_ci95_ms,completion_mean_s,completion_ci95_s,peak_pss_mib,"
    "cpu_saved_pct\n";
const QByteArray bootRow = "boot,boot every VM,3,3,30.5,12.0,2500,9.1,14.2,0.3,480.5,\n";

bool write(const QString& path, const QByteArray& data)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

}  // namespace

class TestBenchmarkCsv : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sample()
    {
        QString error;
        const std::optional<Benchmark> b = BenchmarkCsv::load(sampleDir + "/summary.csv", &error);
        QVERIFY2(b, qPrintable(error));
        QCOMPARE(b->schemes.size(), 5);
        QStringList ids;
        for (const BenchmarkScheme& s : b->schemes) ids << s.id;
        QCOMPARE(ids, QStringList({"boot", "fork-after-boot", "fork-after-interpreter", "fork-after-import", "warm-spares"}));
        const BenchmarkScheme& boot = b->schemes[0];
        QCOMPARE(boot.kind(), BenchmarkScheme::Kind::Boot);
        QCOMPARE(boot.n, 8);
        QCOMPARE(boot.hostCpuS, 160.0);
        QCOMPARE(boot.benchCi95Ms, 9.1);
        QVERIFY(std::isnan(boot.cpuSavedPct));  // empty for boot
        QVERIFY(std::isnan(b->cpuSavedPct(boot)));
        QCOMPARE(b->boot(), &b->schemes[0]);
        // A quoted label keeps its comma.
        QCOMPARE(b->schemes[2].label, QString("fork after the interpreter, python3"));
        QCOMPARE(b->schemes[2].kind(), BenchmarkScheme::Kind::Fork);
        QCOMPARE(b->schemes[4].kind(), BenchmarkScheme::Kind::WarmSpares);
        QCOMPARE(b->schemes[4].ok, 7);
        QCOMPARE(b->cpuSavedPct(b->schemes[3]), 30.2);
        QCOMPARE(b->summary.metadata,
                 QStringList({"TEST DATA, made up for tests/ui (not a measurement)", "n=8", "workload=fanout-fft.py size=4096",
                              "nested=yes"}));
        QCOMPARE(b->summary.header, BenchmarkCsv::summaryColumns());
        QCOMPARE(b->summary.lines.first(), 6);  // four metadata lines, the header
        // runs.csv next to it: 8 runs per scheme, one failed, its times empty.
        QVERIFY(b->runsTable);
        QCOMPARE(b->runs.size(), 40);
        QCOMPARE(b->failedRuns(), 1);
        QCOMPARE(b->metadata().size(), 4);  // runs.csv's lines are the summary's
        for (const BenchmarkRun& r : b->runs)
            if (!r.ok) {
                QCOMPARE(r.scheme, QString("warm-spares"));
                QVERIFY(std::isnan(r.benchMs));
            }
    }

    void cpuSavedComputedWhenEmpty()
    {
        CsvTable table;
        table.path = "summary.csv";
        const QByteArray data = header + bootRow + "fork-after-boot,,3,3,22.875,5.0,2433,8.4,3.1,0.1,200.0,\n";
        QString error;
        std::optional<CsvTable> parsed = BenchmarkCsv::parseCsv(data, "summary.csv", &error);
        QVERIFY2(parsed, qPrintable(error));
        Benchmark b;
        b.summary = *parsed;
        std::optional<QList<BenchmarkScheme>> schemes = BenchmarkCsv::parseSummary(*parsed, &error);
        QVERIFY2(schemes, qPrintable(error));
        b.schemes = *schemes;
        QCOMPARE(b.schemes[1].label, QString("fork-after-boot"));  // no label: the id
        QVERIFY(std::isnan(b.schemes[1].cpuSavedPct));
        QCOMPARE(b.cpuSavedPct(b.schemes[1]), 25.0);  // (30.5 - 22.875) / 30.5
        // Without a boot row nothing to compare with.
        b.schemes.removeFirst();
        QVERIFY(std::isnan(b.cpuSavedPct(b.schemes[0])));
    }

    void pathMeansSummary()
    {
        QCOMPARE(BenchmarkCsv::summaryPathFor(sampleDir + "/summary.csv"), sampleDir + "/summary.csv");
        QCOMPARE(BenchmarkCsv::summaryPathFor(sampleDir + "/runs.csv"), sampleDir + "/summary.csv");
        QCOMPARE(BenchmarkCsv::summaryPathFor(sampleDir), sampleDir + "/summary.csv");
        QString error;
        for (const QString& path : {sampleDir + "/runs.csv", sampleDir, sampleDir + "/"}) {
            const std::optional<Benchmark> b = BenchmarkCsv::load(path, &error);
            QVERIFY2(b, qPrintable(error));
            QCOMPARE(QFileInfo(b->summary.path).canonicalFilePath(), QFileInfo(sampleDir + "/summary.csv").canonicalFilePath());
        }
    }

    void summaryWithoutRuns()
    {
        QTemporaryDir dir;
        QVERIFY(write(dir.filePath("summary.csv"), header + bootRow));
        QString error;
        const std::optional<Benchmark> b = BenchmarkCsv::load(dir.path(), &error);
        QVERIFY2(b, qPrintable(error));
        QVERIFY(!b->runsTable);
        QCOMPARE(b->schemes.size(), 1);
    }

    // Extra columns and CRLF line ends are fine; the columns may come in any order.
    void tolerated()
    {
        const QByteArray data = "# a=b\r\n\r\nextra,cpu_saved_pct,peak_pss_mib,completion_ci95_s,completion_mean_s,"
                                "bench_ci95_ms,bench_mean_ms,wall_s,host_cpu_s,ok,n,label,scheme\r\n"
                                "x,,,,1.5,,2400,10,20,2,2,Boot,boot\r\n";
        QString error;
        const std::optional<CsvTable> t = BenchmarkCsv::parseCsv(data, "s.csv", &error);
        QVERIFY2(t, qPrintable(error));
        const std::optional<QList<BenchmarkScheme>> s = BenchmarkCsv::parseSummary(*t, &error);
        QVERIFY2(s, qPrintable(error));
        QCOMPARE(s->first().benchMeanMs, 2400.0);
        QVERIFY(std::isnan(s->first().benchCi95Ms));  // n too small for a CI: empty is allowed
        QCOMPARE(t->metadata, QStringList({"a=b"}));
        QCOMPARE(t->lines, QList<int>({4}));
    }

    void badSummary_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<QString>("why");
        QTest::newRow("empty") << QByteArray() << "summary.csv: the file is empty";
        QTest::newRow("comments only") << QByteArray("# n=8\n\n") << "summary.csv: no header line";
        QTest::newRow("missing columns")
            << QByteArray("# n=8\nscheme,label,n,ok,host_cpu_s\nboot,b,1,1,2\n")
            << "summary.csv line 2: the header lacks wall_s, bench_mean_ms, bench_ci95_ms";
        QTest::newRow("not a number") << header + bootRow + "fork-after-boot,f,3,3,fast,1,1,1,1,1,1,1\n"
                                      << "summary.csv line 3: column host_cpu_s: \"fast\" is not a number";
        QTest::newRow("nan") << header + "boot,b,3,3,nan,1,1,1,1,1,1,\n"
                             << "summary.csv line 2: column host_cpu_s: \"nan\" is not a number";
        QTest::newRow("infinite") << header + "boot,b,3,3,1,1,1e999,1,1,1,1,\n"
                                  << "summary.csv line 2: column bench_mean_ms: \"1e999\" is not a number";
        QTest::newRow("decimal comma") << header + "boot,b,3,3,\"1,5\",1,1,1,1,1,1,\n"
                                       << "summary.csv line 2: column host_cpu_s: \"1,5\" is not a number";
        QTest::newRow("negative") << header + "boot,b,3,3,1,-2,1,1,1,1,1,\n" << "summary.csv line 2: column wall_s: -2 is negative";
        QTest::newRow("mean missing") << header + "boot,b,3,3,1,1,,1,1,1,1,\n" << "summary.csv line 2: column bench_mean_ms is empty";
        QTest::newRow("count") << header + "boot,b,three,3,1,1,1,1,1,1,1,\n"
                               << "summary.csv line 2: column n: \"three\" is not a count";
        QTest::newRow("ok above n") << header + "boot,b,3,4,1,1,1,1,1,1,1,\n" << "summary.csv line 2: ok is 4, more than n (3)";
        QTest::newRow("too few fields") << header + bootRow + "fork-after-boot,f,3,3,1,1,1,1,1,1,1\n"
                                        << "summary.csv line 3: 11 fields where the header has 12";
        QTest::newRow("too many fields") << header + "boot,b,3,3,1,1,1,1,1,1,1,,extra\n"
                                         << "summary.csv line 2: 13 fields where the header has 12";
        QTest::newRow("scheme twice") << header + bootRow + bootRow << "summary.csv line 3: scheme boot again";
        QTest::newRow("no scheme") << header + ",b,3,3,1,1,1,1,1,1,1,\n" << "summary.csv line 2: column scheme is empty";
        QTest::newRow("header only") << QByteArray(header) << "summary.csv: no schemes, only a header";
        QTest::newRow("column twice") << QByteArray("scheme,scheme\n") << "summary.csv line 1: the header names scheme twice";
        QTest::newRow("open quote") << header + "boot,\"b,3,3,1,1,1,1,1,1,1,\n"
                                    << "summary.csv line 2: a quoted field does not end on its line";
        QTest::newRow("NUL byte") << QByteArray("scheme,label\n\x7f" "ELF\x02\x01\x01\0\0\0", 22)
                                  << "summary.csv line 2: binary data (a NUL byte), not CSV text";
        QTest::newRow("too many columns") << QByteArray("scheme,label\n") + QByteArray(5000, ',')
                                          << "summary.csv line 2: more than 1000 fields";
        QByteArray many = header;
        for (int i = 0; i < 40; ++i) many += "s" + QByteArray::number(i) + ",l,1,1,1,1,1,1,1,1,1,1\n";
        QTest::newRow("too many schemes") << many << "summary.csv line 34: more than 32 schemes";
        QTest::newRow("not UTF-8") << QByteArray("# n=8\nscheme,\xff\xfe\n") << "summary.csv line 2: not UTF-8 text";
    }

    void badSummary()
    {
        QFETCH(QByteArray, data);
        QFETCH(QString, why);
        QString error;
        std::optional<CsvTable> table = BenchmarkCsv::parseCsv(data, "summary.csv", &error);
        if (table) QVERIFY(!BenchmarkCsv::parseSummary(*table, &error));
        QVERIFY2(error.startsWith(why), qPrintable(error));
        // Through a file too: the error names it, path and all.
        QTemporaryDir dir;
        const QString path = dir.filePath("summary.csv");
        QVERIFY(write(path, data));
        QVERIFY(!BenchmarkCsv::load(path, &error));
        QVERIFY2(error.startsWith(dir.path() + "/" + why), qPrintable(error));
        QVERIFY(!BenchmarkCsv::load(path, nullptr));  // no message wanted: still refused, no crash
    }

    void badRuns_data()
    {
        QTest::addColumn<QByteArray>("runs");
        QTest::addColumn<QString>("why");
        const QByteArray runsHeader = "scheme,run,vm,ok,bench_ms,completion_s,digest\n";
        QTest::newRow("unknown scheme") << runsHeader + "boot,0,b-0,1,2500,14,ab\nwarm,0,w-0,1,2400,2,cd\n"
                                        << "runs.csv line 3: scheme warm is not in ";
        QTest::newRow("ok not a flag") << runsHeader + "boot,0,b-0,maybe,2500,14,ab\n"
                                       << "runs.csv line 2: column ok: \"maybe\" is neither 1 nor 0";
        QTest::newRow("missing column") << QByteArray("# n=1\nscheme,run,vm,ok\n") << "runs.csv line 2: the header lacks bench_ms";
        QTest::newRow("not a number") << runsHeader + "boot,0,b-0,1,2.5s,14,ab\n"
                                      << "runs.csv line 2: column bench_ms: \"2.5s\" is not a number";
        QTest::newRow("empty") << QByteArray() << "runs.csv: the file is empty";
    }

    // A bad runs.csv next to a good summary: the whole benchmark is refused, naming runs.csv.
    void badRuns()
    {
        QFETCH(QByteArray, runs);
        QFETCH(QString, why);
        QTemporaryDir dir;
        QVERIFY(write(dir.filePath("summary.csv"), header + bootRow));
        QVERIFY(write(dir.filePath("runs.csv"), runs));
        QString error;
        QVERIFY(!BenchmarkCsv::load(dir.filePath("summary.csv"), &error));
        QVERIFY2(error.startsWith(dir.filePath(why)), qPrintable(error));
    }

    void badFiles()
    {
        QTemporaryDir dir;
        QString error;
        // 50 MB: refused by its size, never read (sparse: no disk used).
        const QString big = dir.filePath("big/summary.csv");
        QVERIFY(QDir(dir.path()).mkdir("big"));
        QFile f(big);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.resize(50 * 1000 * 1000));
        f.close();
        QVERIFY(!BenchmarkCsv::load(big, &error));
        QVERIFY2(error.startsWith(big + ": ") && error.contains("too large"), qPrintable(error));
        QVERIFY2(error.contains("MiB") && error.contains("at most 8"), qPrintable(error));

        // A binary file picked by mistake: this test program itself.
        QVERIFY(!BenchmarkCsv::load(QCoreApplication::applicationFilePath(), &error));
        QVERIFY2(error.contains("no summary.csv next to it"), qPrintable(error));
        const QString binary = dir.filePath("bin/summary.csv");
        QVERIFY(QDir(dir.path()).mkdir("bin"));
        QFile self(QCoreApplication::applicationFilePath());
        QVERIFY(self.open(QIODevice::ReadOnly));
        QVERIFY(write(binary, self.read(64 * 1024)));  // an ELF header, then code
        QVERIFY(!BenchmarkCsv::load(binary, &error));
        QVERIFY2(error.startsWith(binary + " line 1: binary data"), qPrintable(error));

        // A FIFO would block a reader: refused without opening it.
        const QString fifo = dir.filePath("fifo/summary.csv");
        QVERIFY(QDir(dir.path()).mkdir("fifo"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QVERIFY(!BenchmarkCsv::load(fifo, &error));
        QCOMPARE(error, fifo + ": not a regular file");

        QVERIFY(!BenchmarkCsv::load(dir.filePath("none/summary.csv"), &error));
        QCOMPARE(error, dir.filePath("none/summary.csv") + ": no such file");
        QVERIFY(!BenchmarkCsv::load(dir.path(), &error));
        QCOMPARE(error, dir.path() + ": no summary.csv in this folder");
        QVERIFY(!BenchmarkCsv::load(dir.filePath("none/runs.csv"), &error));
        QCOMPARE(error, dir.filePath("none/runs.csv") + ": no summary.csv next to it");
    }

    // The sample mangled a few thousand ways (fixed seed: the same cases each
    // run): each is read or refused with a message naming the file, never a
    // crash, and what is read is consistent.
    void mangledSample()
    {
        QFile f(sampleDir + "/summary.csv");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray original = f.readAll();
        QRandomGenerator random(15);
        int refused = 0;
        for (int i = 0; i < 3000; ++i) {
            QByteArray data = original;
            const int edits = 1 + static_cast<int>(random.bounded(4));
            for (int e = 0; e < edits && !data.isEmpty(); ++e) {
                const qsizetype at = random.bounded(data.size());
                switch (random.bounded(4)) {
                case 0: data[at] = static_cast<char>(random.bounded(256)); break;               // a byte changed
                case 1: data.remove(at, 1 + random.bounded(20)); break;                         // bytes lost
                case 2: data.insert(at, QByteArray(1 + random.bounded(3), ",\"\n#"[random.bounded(4)])); break;
                default: data.truncate(at); break;                                              // cut short
                }
            }
            QString error;
            const std::optional<CsvTable> table = BenchmarkCsv::parseCsv(data, "m.csv", &error);
            const std::optional<QList<BenchmarkScheme>> schemes =
                table ? BenchmarkCsv::parseSummary(*table, &error) : std::nullopt;
            if (!schemes) {
                ++refused;
                QVERIFY2(error.startsWith("m.csv"), qPrintable(error));
                continue;
            }
            QCOMPARE(schemes->size(), table->rows.size());
            for (const BenchmarkScheme& s : *schemes) QVERIFY(s.ok <= s.n && std::isfinite(s.hostCpuS));
        }
        QVERIFY(refused > 0 && refused < 3000);  // both kinds of outcome were exercised
    }

    // Written again as read: parsing the export gives the same table.
    void writeCsvRoundTrip()
    {
        QString error;
        const std::optional<Benchmark> b = BenchmarkCsv::load(sampleDir, &error);
        QVERIFY2(b, qPrintable(error));
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        QVERIFY2(b->writeCsv(&out, &error), qPrintable(error));
        const std::optional<CsvTable> again = BenchmarkCsv::parseCsv(out.data(), "again.csv", &error);
        QVERIFY2(again, qPrintable(error));
        QCOMPARE(again->metadata, b->summary.metadata);
        QCOMPARE(again->header, b->summary.header);
        QCOMPARE(again->rows, b->summary.rows);
        QVERIFY(out.data().contains("\"fork after the interpreter, python3\""));
    }
};

QTEST_GUILESS_MAIN(TestBenchmarkCsv)
#include "tst_benchmark_csv.moc"
