// ForkLatencyTable fed with vm.forked events as the daemon sends them
// (parsed by ForkEvent::fromJson), always under QAbstractItemModelTester:
// cells, times, the phases, warm and cold clones, the row limit and the CSV,
// byte for byte.
#include "charts/fork_latency_table.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

#include <cmath>
#include <memory>

using namespace hf::ui;

namespace {

// vm.forked params, recorded shape (docs/protocol.md). Phases arrive in any
// order; "future" is a phase this client does not know; w-1-1 reported no
// phases; w-1-1-1 has no "fork" object and no created_unix_ms at all.
// JSON with ' for " (plain literals: moc misreads raw strings holding quotes).
const char* const forkedEvents[] = {
    "{'parent':1,'origin':'command','latency_ms':{'max':48.25,'mean':44.6},'clones':["
    " {'id':2,'name':'w-1','pid':1301,'parent':1,'depth':1,'state':'running','created_unix_ms':1790000000123,"
    "  'origin':'command','fork':{'latency_ms':41.0,'phases_ms':{'resume':1.6,'pause':9.1,'capture':2.0,"
    "  'fork':11.3,'rebuild':14.2,'restore':3.0}}},"
    " {'id':3,'name':'odd, \\u0022name\\u0022','pid':1302,'parent':1,'depth':1,'state':'running',"
    "  'created_unix_ms':1790000000150,'origin':'command',"
    "  'fork':{'latency_ms':48.25,'phases_ms':{'pause':9.0,'fork':12.0,'future':3.0}}}]}",
    "{'parent':2,'origin':'guest','latency_ms':{'max':39.0,'mean':39.0},'clones':["
    " {'id':4,'name':'w-1-1','pid':1400,'parent':2,'depth':2,'state':'running','created_unix_ms':1790000005000,"
    "  'origin':'guest','fork':{'latency_ms':39.0,'phases_ms':{}}}]}",
    "{'parent':4,'origin':'command','clones':[{'id':5,'name':'w-1-1-1','pid':1500,'parent':4,'depth':3}]}",
};

// A fork of the template ref served partly by its warm spares: w-3 took a
// spare (phases handover and activate), w-4 was forked cold in the same
// request (docs/fork.md, "Warm spares").
const char* const warmForkEvent =
    "{'parent':1,'origin':'command','latency_ms':{'max':40.0,'mean':20.45},'clones':["
    " {'id':6,'name':'w-3','pid':1601,'parent':1,'depth':1,'state':'running','created_unix_ms':1790000009000,"
    "  'origin':'command','fork':{'latency_ms':0.9,'warm':true,'phases_ms':{'activate':0.5,'handover':0.4}}},"
    " {'id':7,'name':'w-4','pid':1602,'parent':1,'depth':1,'state':'running','created_unix_ms':1790000009001,"
    "  'origin':'command','fork':{'latency_ms':40.0,'warm':false,'phases_ms':{'pause':9.0,'capture':2.0,"
    "  'fork':11.0,'rebuild':14.0,'restore':3.0,'resume':1.0}}}]}";

ForkEvent parse(const char* text)
{
    const QJsonDocument json = QJsonDocument::fromJson(QByteArray(text).replace('\'', '"'));
    if (!json.isObject()) qFatal("bad JSON: %s", text);
    return ForkEvent::fromJson(json.object());
}

ForkEvent recorded(int i)
{
    const QJsonDocument json = QJsonDocument::fromJson(QByteArray(forkedEvents[i]).replace('\'', '"'));
    if (!json.isObject()) qFatal("bad JSON in forkedEvents[%d]", i);
    return ForkEvent::fromJson(json.object());
}

ForkEvent manyClones(VmId parent, VmId firstId, int count)
{
    ForkEvent f;
    f.parent = parent;
    f.origin = "command";
    for (int i = 0; i < count; ++i) {
        VmInfo v;
        v.id = firstId + i;
        v.name = QStringLiteral("c-%1").arg(v.id);
        v.forkLatencyMs = 40;
        f.clones.append(v);
    }
    return f;
}

QByteArray csvOf(const ForkLatencyTable& table)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QString error;
    if (!table.writeCsv(&buffer, &error)) qFatal("writeCsv: %s", qPrintable(error));
    return buffer.data();
}

const QByteArray csvHeader = "time,parent,clone,name,origin,warm,total_ms,pause_ms,capture_ms,fork_ms,rebuild_ms,"
                             "restore_ms,resume_ms,handover_ms,activate_ms,parent_name\r\n";

}  // namespace

// Stands in for BackendClient's vmForked signal.
class ForkSource : public QObject {
    Q_OBJECT
Q_SIGNALS:
    void forked(const hf::ui::ForkEvent& fork);
};

class TestForkLatencyTable : public QObject {
    Q_OBJECT
    std::unique_ptr<ForkLatencyTable> m_table;
    std::unique_ptr<QAbstractItemModelTester> m_tester;

    void feedRecorded()
    {
        for (int i = 0; i < 3; ++i) m_table->addFork(recorded(i));
    }

private Q_SLOTS:
    void initTestCase()
    {
        // Local time is UTC+2 (a POSIX TZ string: no tzdata needed), so the
        // test shows times are local and carry their offset in the CSV.
        qputenv("TZ", "HFT-2");
    }

    void init()
    {
        m_table = std::make_unique<ForkLatencyTable>();
        m_tester = std::make_unique<QAbstractItemModelTester>(m_table.get(),
                                                              QAbstractItemModelTester::FailureReportingMode::QtTest);
    }

    void cleanup()
    {
        m_tester.reset();
        m_table.reset();
        QLocale::setDefault(QLocale::c());
    }

    void columnsAndHeaders()
    {
        QCOMPARE(ForkLatencyTable::coldPhases(), QStringList({"pause", "capture", "fork", "rebuild", "restore", "resume"}));
        QCOMPARE(ForkLatencyTable::warmPhases(), QStringList({"handover", "activate"}));
        QCOMPARE(ForkLatencyTable::phases(), ForkLatencyTable::coldPhases() + ForkLatencyTable::warmPhases());
        // Names first, then the numbers, then the ids in columns of their own.
        QCOMPARE(m_table->columnCount(), int(ForkLatencyTable::ColumnCount));
        QCOMPARE(m_table->rowCount(), 0);
        QStringList headers;
        for (int c = 0; c < m_table->columnCount(); ++c) headers << m_table->headerData(c, Qt::Horizontal).toString();
        QCOMPARE(headers,
                 QStringList({"Time", "Clone", "Parent", "Origin", "Warm", "Total ms", "Phases", "ID", "Parent ID"}));
        // What the phases are is in the tooltip.
        const QString phasesTip = m_table->headerData(ForkLatencyTable::Phases, Qt::Horizontal, Qt::ToolTipRole).toString();
        QVERIFY2(phasesTip.contains("rebuild") && phasesTip.contains("handover"), qPrintable(phasesTip));
        QVERIFY(m_table->headerData(ForkLatencyTable::Warm, Qt::Horizontal, Qt::ToolTipRole).toString().contains("spare"));
        QVERIFY(!m_table->headerData(m_table->columnCount(), Qt::Horizontal).isValid());
        QVERIFY(!m_table->headerData(0, Qt::Vertical).isValid());
    }

    void oneRowPerClone()
    {
        QSignalSpy inserted(m_table.get(), &QAbstractItemModel::rowsInserted);
        feedRecorded();
        QCOMPARE(m_table->rowCount(), 4);
        // One insertion per fork, covering all its clones.
        QCOMPARE(inserted.size(), 3);
        QCOMPARE(inserted[0].at(1).toInt(), 0);
        QCOMPARE(inserted[0].at(2).toInt(), 1);
        QCOMPARE(inserted[2].at(1).toInt(), 3);
    }

    void cells_data()
    {
        QTest::addColumn<int>("row");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("display");
        QTest::addColumn<QVariant>("edit");  // invalid: not reported

        const int phases = ForkLatencyTable::Phases;
        QTest::newRow("time is local") << 0 << int(ForkLatencyTable::Time) << "16:13:20"
                                       << QVariant(QDateTime::fromMSecsSinceEpoch(1790000000123));
        QTest::newRow("parent by name") << 0 << int(ForkLatencyTable::Parent) << "ref" << QVariant("ref");
        QTest::newRow("parent, a clone") << 2 << int(ForkLatencyTable::Parent) << "w-1" << QVariant("w-1");
        QTest::newRow("parent id") << 0 << int(ForkLatencyTable::ParentId) << "1" << QVariant(VmId(1));
        QTest::newRow("clone id") << 1 << int(ForkLatencyTable::CloneId) << "3" << QVariant(VmId(3));
        QTest::newRow("clone") << 1 << int(ForkLatencyTable::Clone) << "odd, \"name\"" << QVariant("odd, \"name\"");
        QTest::newRow("origin") << 2 << int(ForkLatencyTable::Origin) << "guest" << QVariant("guest");
        QTest::newRow("cold") << 0 << int(ForkLatencyTable::Warm) << "cold" << QVariant(false);
        QTest::newRow("no fork object: cold") << 3 << int(ForkLatencyTable::Warm) << "cold" << QVariant(false);
        QTest::newRow("total") << 0 << int(ForkLatencyTable::Total) << "41.0" << QVariant(41.0);
        // Phases in their order whatever order the JSON had; not reported: left out.
        QTest::newRow("phases") << 0 << phases
                                << "pause 9.1 ms, capture 2.0 ms, fork 11.3 ms, rebuild 14.2 ms, restore 3.0 ms, resume 1.6 ms"
                                << QVariant("pause 9.1 ms, capture 2.0 ms, fork 11.3 ms, rebuild 14.2 ms, restore 3.0 ms, resume 1.6 ms");
        QTest::newRow("some phases") << 1 << phases << "pause 9.0 ms, fork 12.0 ms" << QVariant("pause 9.0 ms, fork 12.0 ms");
        QTest::newRow("no phases") << 2 << phases << QString() << QVariant(QString());
        QTest::newRow("no fork object: total") << 3 << int(ForkLatencyTable::Total) << QString() << QVariant();
    }

    void phasesForTheBar()
    {
        feedRecorded();
        const QList<double> ms = m_table->data(m_table->index(1, ForkLatencyTable::Phases), ForkLatencyTable::PhasesRole)
                                     .value<QList<double>>();
        QCOMPARE(ms.size(), 8);  // the cold phases, then the warm ones
        QCOMPARE(ms[0], 9.0);
        QVERIFY(std::isnan(ms[1]));  // capture not reported
        QCOMPARE(ms[2], 12.0);
        const QString tip = m_table->data(m_table->index(0, ForkLatencyTable::Phases), Qt::ToolTipRole).toString();
        QCOMPARE(tip.split('\n').size(), 6);
        QVERIFY(tip.startsWith("pause 9.100 ms"));
    }

    void cells()
    {
        QFETCH(int, row);
        QFETCH(int, column);
        QFETCH(QString, display);
        QFETCH(QVariant, edit);
        m_table->setVmName(1, "ref");  // as vm.booted or vm.list would tell
        feedRecorded();
        const QModelIndex index = m_table->index(row, column);
        QCOMPARE(m_table->data(index).toString(), display);
        const QVariant raw = m_table->data(index, Qt::EditRole);
        QCOMPARE(raw.isValid(), edit.isValid());
        if (edit.isValid()) QCOMPARE(raw, edit);
    }

    void times()
    {
        const QDateTime before = QDateTime::currentDateTime();
        feedRecorded();
        const QDateTime after = QDateTime::currentDateTime();
        // The daemon's created_unix_ms when sent...
        QCOMPARE(m_table->row(2).time, QDateTime::fromMSecsSinceEpoch(1790000005000));
        // ...else the time it arrived.
        QVERIFY(m_table->row(3).time >= before && m_table->row(3).time <= after);
        // An explicit time wins (replays).
        const QDateTime when(QDate(2026, 11, 24), QTime(18, 0, 0, 250), Qt::UTC);
        m_table->addFork(recorded(0), when);
        QCOMPARE(m_table->row(4).time, when);
        QCOMPARE(m_table->row(5).time, when);
    }

    void rowFields()
    {
        feedRecorded();
        const ForkLatencyTable::Row& r = m_table->row(1);
        QCOMPARE(r.parent, VmId(1));
        QCOMPARE(r.clone, VmId(3));
        QCOMPARE(r.origin, "command");
        QCOMPARE(r.totalMs, 48.25);
        QCOMPARE(r.phaseMs.size(), 8);
        QVERIFY(!r.warm);
    }

    void csvExactly()
    {
        feedRecorded();
        const QByteArray all = csvOf(*m_table);
        const QList<QByteArray> lines = all.split('\n');
        QCOMPARE(lines.size(), 6);  // header, 4 rows, nothing after the last CRLF
        const QByteArray expected = csvHeader +
                                    "2026-09-21T16:13:20.123+02:00,1,2,w-1,command,false,41.000,9.100,2.000,11.300,14.200,3.000,1.600,,,\r\n"
                                    "2026-09-21T16:13:20.150+02:00,1,3,\"odd, \"\"name\"\"\",command,false,48.250,9.000,,12.000,,,,,,\r\n"
                                    "2026-09-21T16:13:25.000+02:00,2,4,w-1-1,guest,false,39.000,,,,,,,,,w-1\r\n";
        QVERIFY2(all.startsWith(expected), all.constData());
        // The last row was stamped on arrival: only its time varies.
        QVERIFY2(lines[4].endsWith(",4,5,w-1-1-1,command,false,,,,,,,,,,w-1-1\r"), lines[4].constData());
        QVERIFY(lines[4].contains("+02:00,"));
        QCOMPARE(lines[5], QByteArray());
    }

    // A fork of a template: the clone a warm spare served and the one forked
    // cold in the same request stay apart in every column that says so.
    void warmAndColdApart()
    {
        m_table->setVmName(1, "ref");
        m_table->addFork(parse(warmForkEvent));
        QCOMPARE(m_table->rowCount(), 2);
        const QModelIndex warm = m_table->index(0, ForkLatencyTable::Warm);
        const QModelIndex cold = m_table->index(1, ForkLatencyTable::Warm);
        QCOMPARE(warm.data().toString(), "warm");
        QCOMPARE(warm.data(Qt::EditRole), QVariant(true));
        QVERIFY(warm.data(Qt::ToolTipRole).toString().contains("spare"));
        QCOMPARE(cold.data().toString(), "cold");
        QCOMPARE(cold.data(Qt::EditRole), QVariant(false));
        QVERIFY(m_table->row(0).warm);
        QVERIFY(!m_table->row(1).warm);
        // A warm clone's phases are its own two, in their order, in the bar and the text.
        QCOMPARE(m_table->index(0, ForkLatencyTable::Phases).data().toString(), "handover 0.4 ms, activate 0.5 ms");
        const QList<double> ms =
            m_table->index(0, ForkLatencyTable::Phases).data(ForkLatencyTable::PhasesRole).value<QList<double>>();
        QCOMPARE(ms.size(), 8);
        for (int p = 0; p < 6; ++p) QVERIFY(std::isnan(ms[p]));
        QCOMPARE(ms[6], 0.4);
        QCOMPARE(ms[7], 0.5);
        QCOMPARE(m_table->index(0, ForkLatencyTable::Total).data().toString(), "0.9");
        // The CSV keeps the distinction: the warm column and each kind's phases.
        QCOMPARE(csvOf(*m_table),
                 csvHeader + "2026-09-21T16:13:29.000+02:00,1,6,w-3,command,true,0.900,,,,,,,0.400,0.500,ref\r\n"
                             "2026-09-21T16:13:29.001+02:00,1,7,w-4,command,false,40.000,9.000,2.000,11.000,14.000,"
                             "3.000,1.000,,,ref\r\n");
    }

    void csvQuoting_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("field");
        QTest::newRow("plain") << "w-1" << QByteArray("w-1");
        QTest::newRow("comma") << "a,b" << QByteArray("\"a,b\"");
        QTest::newRow("quote") << "say \"hi\"" << QByteArray("\"say \"\"hi\"\"\"");
        QTest::newRow("comma and quote") << "odd, \"name\"" << QByteArray("\"odd, \"\"name\"\"\"");
        QTest::newRow("line break") << "two\nlines" << QByteArray("\"two\nlines\"");
        QTest::newRow("percent stays") << "w%1" << QByteArray("w%1");
        QTest::newRow("utf-8") << QString::fromUtf8("klon-\u00e9") << QByteArray("klon-\xc3\xa9");
        QTest::newRow("empty") << QString() << QByteArray();
    }

    void csvQuoting()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, field);
        ForkEvent f = manyClones(1, 7, 1);
        f.clones[0].name = name;
        m_table->addFork(f, QDateTime(QDate(2026, 1, 2), QTime(3, 4, 5), Qt::UTC));
        QCOMPARE(csvOf(*m_table), csvHeader + "2026-01-02T03:04:05.000Z,1,7," + field + ",command,false,40.000,,,,,,,,,\r\n");
    }

    void csvDecimalPointIgnoresLocale()
    {
        feedRecorded();
        const QByteArray c = csvOf(*m_table);
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        QCOMPARE(csvOf(*m_table), c);
        QVERIFY(c.contains("48.250"));
    }

    void csvWriteFailure()
    {
        feedRecorded();
        QBuffer readOnly;
        readOnly.open(QIODevice::ReadOnly);
        QTest::ignoreMessage(QtWarningMsg, "QIODevice::write (QBuffer): ReadOnly device");
        QString error;
        QVERIFY(!m_table->writeCsv(&readOnly, &error));
        QVERIFY(!error.isEmpty());
        QTest::ignoreMessage(QtWarningMsg, "QIODevice::write (QBuffer): ReadOnly device");
        QVERIFY(!m_table->writeCsv(&readOnly, nullptr));  // no error wanted: no crash
    }

    void rowLimitDropsOldest()
    {
        m_table->setRowLimit(5);
        QSignalSpy removed(m_table.get(), &QAbstractItemModel::rowsRemoved);
        m_table->addFork(manyClones(1, 100, 3));
        m_table->addFork(manyClones(1, 200, 3));  // one over: the oldest goes first
        QCOMPARE(m_table->rowCount(), 5);
        QCOMPARE(removed.size(), 1);
        QCOMPARE(removed[0].at(1).toInt(), 0);
        QCOMPARE(removed[0].at(2).toInt(), 0);
        QCOMPARE(m_table->row(0).clone, VmId(101));
        QCOMPARE(m_table->row(4).clone, VmId(202));

        // A fork bigger than the limit keeps its newest clones.
        m_table->addFork(manyClones(1, 300, 8));
        QCOMPARE(m_table->rowCount(), 5);
        QCOMPARE(m_table->row(0).clone, VmId(303));
        QCOMPARE(m_table->row(4).clone, VmId(307));

        // Lowering the limit drops at once.
        m_table->setRowLimit(2);
        QCOMPARE(m_table->rowCount(), 2);
        QCOMPARE(m_table->row(0).clone, VmId(306));
    }

    void defaultLimit()
    {
        m_tester.reset();  // it rechecks every row per change: 10000 rows would take minutes
        QCOMPARE(m_table->rowLimit(), ForkLatencyTable::maxRows);
        for (int i = 0; i < ForkLatencyTable::maxRows / 64 + 2; ++i) m_table->addFork(manyClones(1, i * 64, 64));
        QCOMPARE(m_table->rowCount(), ForkLatencyTable::maxRows);
        QCOMPARE(m_table->row(m_table->rowCount() - 1).clone, VmId((ForkLatencyTable::maxRows / 64 + 2) * 64 - 1));
    }

    void emptyForkAndClear()
    {
        QSignalSpy inserted(m_table.get(), &QAbstractItemModel::rowsInserted);
        m_table->addFork(ForkEvent{});
        QCOMPARE(inserted.size(), 0);
        feedRecorded();
        QSignalSpy reset(m_table.get(), &QAbstractItemModel::modelReset);
        m_table->clear();
        QCOMPARE(reset.size(), 1);
        QCOMPARE(m_table->rowCount(), 0);
        QCOMPARE(csvOf(*m_table), csvHeader);
    }

    void connectsToAOneArgumentSignal()
    {
        // How the app wires it to BackendClient::vmForked(ForkEvent).
        ForkSource source;
        connect(&source, &ForkSource::forked, m_table.get(), qOverload<const ForkEvent&>(&ForkLatencyTable::addFork));
        Q_EMIT source.forked(recorded(0));
        QCOMPARE(m_table->rowCount(), 2);
    }
};

QTEST_MAIN(TestForkLatencyTable)
#include "tst_fork_latency_table.moc"
