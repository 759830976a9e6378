// VmTreeModel fed with recorded protocol events (tests/ui/data/session.jsonl)
// through the same parsing the backend client uses, checked after every event
// by QAbstractItemModelTester.
#include "backend/protocol_types.h"
#include "models/vm_tree_model.h"
#include "window/resources.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace hf::ui;

namespace {

QList<QJsonObject> recordedSession()
{
    QFile f(QFINDTESTDATA("data/session.jsonl"));
    if (!f.open(QIODevice::ReadOnly)) qFatal("cannot open session.jsonl");
    QList<QJsonObject> events;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (!line.trimmed().isEmpty()) events.append(QJsonDocument::fromJson(line).object());
    return events;
}

void apply(VmTreeModel& model, const QJsonObject& event)
{
    const QString method = event.value("method").toString();
    const QJsonObject p = event.value("params").toObject();
    if (method == "vm.booted") model.addVm(VmInfo::fromJson(p.value("vm").toObject()));
    else if (method == "vm.ready") model.setReady(p.value("vm").toInteger(), p.value("ms").toDouble());
    else if (method == "vm.forked") model.addFork(ForkEvent::fromJson(p));
    else if (method == "vm.state") model.updateVm(VmInfo::fromJson(p.value("vm").toObject()));
    else if (method == "vm.exited") model.removeVm(ExitInfo::fromJson(p));
    else if (method == "metrics.sample") model.applyMetrics(MetricsSample::fromJson(p));
    else QFAIL(qPrintable("unexpected event " + method));
}

// The tree as text: "name(parent)" depth-first, so a whole shape compares at once.
QString shape(const VmTreeModel& model, const QModelIndex& parent = {})
{
    QStringList parts;
    for (int r = 0; r < model.rowCount(parent); ++r) {
        const QModelIndex i = model.index(r, 0, parent);
        QString s = model.vm(model.vmAt(i))->name;
        const QString kids = shape(model, i);
        if (!kids.isEmpty()) s += "[" + kids + "]";
        parts.append(s);
    }
    return parts.join(' ');
}

VmInfo vmInfo(VmId id, const QString& name, std::optional<VmId> parent)
{
    VmInfo v;
    v.id = id;
    v.name = name;
    v.parent = parent;
    v.state = "running";
    return v;
}

}  // namespace

class TestVmTreeModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { initResources(); }

    void recordedSessionKeepsTheTree_data()
    {
        QTest::addColumn<int>("events");
        QTest::addColumn<QString>("expected");
        QTest::newRow("booted") << 1 << "ref";
        QTest::newRow("fork two") << 4 << "ref[w-1 w-2]";
        QTest::newRow("clone of a clone") << 5 << "ref[w-1[w-1-1] w-2]";
        QTest::newRow("three deep") << 6 << "ref[w-1[w-1-1[w-1-1-1]] w-2]";
        QTest::newRow("metrics, unknown vm ignored") << 7 << "ref[w-1[w-1-1[w-1-1-1]] w-2]";
        QTest::newRow("middle exits, children move up") << 9 << "ref[w-2 w-1-1[w-1-1-1]]";
        QTest::newRow("daemon reparents") << 10 << "ref[w-2 w-1-1[w-1-1-1]]";
        QTest::newRow("reorder under a sibling") << 11 << "ref[w-2[w-1-1-1] w-1-1]";
        QTest::newRow("root exits") << 12 << "w-2[w-1-1-1] w-1-1";
    }
    void recordedSessionKeepsTheTree()
    {
        QFETCH(int, events);
        QFETCH(QString, expected);
        VmTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QList<QJsonObject> session = recordedSession();
        QVERIFY(events <= session.size());
        for (int i = 0; i < events; ++i) apply(model, session.at(i));
        QCOMPARE(shape(model), expected);
    }

    void columnsShowWhatTheEventsSaid()
    {
        VmTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QList<QJsonObject> session = recordedSession();
        for (int i = 0; i < 8; ++i) apply(model, session.at(i));
        const QModelIndex ref = model.indexOf(1);
        QCOMPARE(model.data(ref.siblingAtColumn(VmTreeModel::Name)).toString(), "ref");
        QCOMPARE(model.data(ref.siblingAtColumn(VmTreeModel::State)).toString(), "running");
        QCOMPARE(model.data(ref.siblingAtColumn(VmTreeModel::Memory)).toString(), "512 MiB");
        QCOMPARE(model.data(ref.siblingAtColumn(VmTreeModel::Cpus)).toInt(), 2);
        QCOMPARE(model.data(ref.siblingAtColumn(VmTreeModel::Shared), VmTreeModel::SortRole).toLongLong(), 61234);
        QCOMPARE(model.data(ref.siblingAtColumn(VmTreeModel::Private), VmTreeModel::SortRole).toLongLong(), 812);
        QVERIFY(model.data(ref.siblingAtColumn(VmTreeModel::ForkLatency)).toString().isEmpty());
        const QModelIndex w1 = model.indexOf(2);
        QCOMPARE(model.data(w1.siblingAtColumn(VmTreeModel::ForkLatency)).toString(), "41.0 ms");
        QCOMPARE(model.data(w1, VmTreeModel::PtyRole).toString(), "/dev/pts/5");
        // Phases come in the order they happen, whatever order the JSON had.
        QStringList phases;
        for (const ForkPhase& p : model.vm(2)->forkPhases) phases << p.name;
        QCOMPARE(phases, (QStringList{"pause", "capture", "fork", "rebuild", "restore", "resume"}));
        QCOMPARE(model.data(model.indexOf(3), VmTreeModel::StateRole).toString(), "paused");
        QVERIFY(!model.data(model.indexOf(3, VmTreeModel::State), Qt::DecorationRole).value<QIcon>().isNull());
        // vm.state for w-2 said nothing of its fork: the latency stays.
        QCOMPARE(*model.vm(3)->forkLatencyMs, 48.0);
    }

    void booting_isShownUntilReady()
    {
        VmTreeModel model;
        VmInfo v = vmInfo(1, "ref", std::nullopt);
        v.ready = false;
        model.addVm(v);
        QCOMPARE(model.data(model.indexOf(1, VmTreeModel::State)).toString(), "running (booting)");
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setReady(1, 100);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(model.data(model.indexOf(1, VmTreeModel::State)).toString(), "running");
    }

    // A VMM that lets requests pass their deadlines (SIGSTOP, hung) is
    // marked by the daemon; the tree says so until it answers again.
    void notRespondingIsShownWhileTheDaemonSaysSo()
    {
        VmTreeModel model;
        model.addVm(vmInfo(1, "ref", std::nullopt));
        QJsonObject o{{"id", 1}, {"name", "ref"}, {"state", "running"}, {"ready", true}, {"responsive", false}};
        model.updateVm(VmInfo::fromJson(o));
        QCOMPARE(model.data(model.indexOf(1, VmTreeModel::State)).toString(), "running (not responding)");
        o["responsive"] = true;
        model.updateVm(VmInfo::fromJson(o));
        QCOMPARE(model.data(model.indexOf(1, VmTreeModel::State)).toString(), "running");
        o.remove("responsive");  // a daemon older than the field
        QVERIFY(VmInfo::fromJson(o).responsive);
    }

    // A template shows its warm spares in the State column, from whichever
    // VM object said so last: vm.list, vm.template's answer, vm.state, or
    // a refresh (updateSpares, which changes only that cell).
    void templateRowShowsItsSpares()
    {
        VmTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QJsonObject spares{{"template", true}, {"wanted", 2}, {"ready", 1}, {"served", 5}};
        QJsonObject ref{{"id", 1}, {"name", "ref"}, {"parent", QJsonValue::Null}, {"state", "paused"},
                        {"ready", true}, {"spares", spares}};
        QJsonObject clone{{"id", 2}, {"name", "ref-1"}, {"parent", 1}, {"state", "running"}, {"ready", true},
                          {"spares", QJsonValue::Null}};
        model.resetFromList({VmInfo::fromJson(ref), VmInfo::fromJson(clone)});
        const QModelIndex state = model.indexOf(1, VmTreeModel::State);
        QCOMPARE(state.data().toString(), "template · 1/2 spares ready");
        QVERIFY(state.data(VmTreeModel::TemplateRole).toBool());
        QCOMPARE(state.data(VmTreeModel::StateRole).toString(), "paused");
        const QString tip = state.data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains("template") && tip.contains("warm spares") && tip.contains("5 forks"), qPrintable(tip));
        QCOMPARE(model.indexOf(2, VmTreeModel::State).data().toString(), "running");
        QVERIFY(!model.indexOf(2).data(VmTreeModel::TemplateRole).toBool());
        QVERIFY(model.hasPausedVms());

        // A refresh: only the template's State cell changes; unknown VMs and
        // unchanged spares do nothing.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        ref["spares"] = QJsonObject{{"template", true}, {"wanted", 2}, {"ready", 2}, {"served", 5}};
        QJsonObject ghost = clone;
        ghost["id"] = 9;
        model.updateSpares({VmInfo::fromJson(ref), VmInfo::fromJson(clone), VmInfo::fromJson(ghost)});
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed[0].at(0).toModelIndex(), state);
        QCOMPARE(changed[0].at(1).toModelIndex(), state);
        QCOMPARE(state.data().toString(), "template · 2/2 spares ready");
        model.updateSpares({VmInfo::fromJson(ref)});
        QCOMPARE(changed.size(), 1);
        QCOMPARE(model.rowCount(), 1);

        // Not responding is still said.
        ref["responsive"] = false;
        model.updateVm(VmInfo::fromJson(ref));
        QCOMPARE(state.data().toString(), "template · 2/2 spares ready (not responding)");
        // No spares wanted: a template all the same.
        ref["responsive"] = true;
        ref["spares"] = QJsonObject{{"template", true}, {"wanted", 0}, {"ready", 0}, {"served", 0}};
        model.updateVm(VmInfo::fromJson(ref));
        QCOMPARE(state.data().toString(), "template · no spares");
        // Resumed: the daemon says spares null.
        ref["state"] = "running";
        ref["spares"] = QJsonValue::Null;
        model.updateVm(VmInfo::fromJson(ref));
        QCOMPARE(state.data().toString(), "running");
        QVERIFY(!state.data(VmTreeModel::TemplateRole).toBool());
        QVERIFY(!model.hasPausedVms());
        // Anything but {"template": true}: no template (a daemon older than spares sends nothing).
        QVERIFY(!SparesInfo::fromJson(QJsonObject{{"template", false}, {"wanted", 2}}));
        QVERIFY(!SparesInfo::fromJson(QJsonValue()));
    }

    void warmCloneSaysSo()
    {
        VmTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addVm(vmInfo(1, "ref", std::nullopt));
        ForkEvent fork = ForkEvent::fromJson(QJsonObject{
            {"parent", 1},
            {"origin", "command"},
            {"clones", QJsonArray{QJsonObject{{"id", 2}, {"name", "ref-1"}, {"parent", 1}, {"state", "running"},
                                              {"fork", QJsonObject{{"latency_ms", 0.9}, {"warm", true},
                                                                   {"phases_ms", QJsonObject{{"activate", 0.5},
                                                                                             {"handover", 0.4}}}}}},
                                  QJsonObject{{"id", 3}, {"name", "ref-2"}, {"parent", 1}, {"state", "running"},
                                              {"fork", QJsonObject{{"latency_ms", 40.0}, {"warm", false}}}}}}});
        model.addFork(fork);
        QVERIFY(model.vm(2)->forkWarm);
        QVERIFY(!model.vm(3)->forkWarm);
        QStringList phases;
        for (const ForkPhase& p : model.vm(2)->forkPhases) phases << p.name;
        QCOMPARE(phases, (QStringList{"handover", "activate"}));
        QCOMPARE(model.indexOf(2, VmTreeModel::ForkLatency).data().toString(), "0.9 ms (warm)");
        QCOMPARE(model.indexOf(3, VmTreeModel::ForkLatency).data().toString(), "40.0 ms");
        QCOMPARE(model.indexOf(2, VmTreeModel::ForkLatency).data(VmTreeModel::SortRole).toDouble(), 0.9);
        const QString tip = model.indexOf(2, VmTreeModel::ForkLatency).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains("warm spare") && tip.contains("handover 0.4 ms"), qPrintable(tip));
        // A later vm.state without the fork object keeps it warm.
        model.updateVm(vmInfo(2, "ref-1", 1));
        QCOMPARE(model.indexOf(2, VmTreeModel::ForkLatency).data().toString(), "0.9 ms (warm)");
    }

    void listReplacesEverything()
    {
        VmTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addVm(vmInfo(9, "stale", std::nullopt));
        // vm.list: depth-first, parents first; a parent missing from the list puts its child on top.
        model.resetFromList({vmInfo(1, "ref", std::nullopt), vmInfo(2, "a", 1), vmInfo(4, "a-1", 2), vmInfo(3, "b", 1),
                             vmInfo(7, "orphan", 6)});
        QCOMPARE(shape(model), "ref[a[a-1] b] orphan");
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void eventsForUnknownVmsDoNoHarm()
    {
        VmTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.removeVm(ExitInfo{42, "ghost", 1, 0, std::nullopt, "?"});
        model.setReady(42, 1);
        // A fork event whose parent is unknown (raced a reset): the clone shows at the top.
        ForkEvent fork;
        fork.parent = 8;
        fork.clones = {vmInfo(10, "c", 8)};
        model.addFork(fork);
        QCOMPARE(shape(model), "c");
        // The same VM announced twice stays one row.
        model.addFork(fork);
        QCOMPARE(model.rowCount(), 1);
        // A parent that would make a cycle is refused.
        model.addVm(vmInfo(11, "d", 10));
        model.updateVm(vmInfo(10, "c", 11));
        QCOMPARE(shape(model), "c[d]");
    }

    void diskColumnShowsTheOverlays()
    {
        VmTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        // As vm.booted carries it (docs/protocol.md): two disks, the VM object's own JSON.
        const QJsonObject withDisks{
            {"id", 1}, {"name", "deb"}, {"pid", 1001}, {"parent", QJsonValue::Null}, {"state", "running"},
            {"disks", QJsonArray{QJsonObject{{"index", 0}, {"path", "/img/root.ext4"}, {"readonly", false},
                                             {"capacity", 1073741824}, {"overlay_bytes", 3 << 20}},
                                 QJsonObject{{"index", 1}, {"path", "/img/data.img"}, {"readonly", true},
                                             {"capacity", 67108864}, {"overlay_bytes", 4096}}}}};
        model.addVm(VmInfo::fromJson(withDisks));
        model.addVm(vmInfo(2, "plain", std::nullopt));
        QCOMPARE(model.headerData(VmTreeModel::Disk, Qt::Horizontal).toString(), "Disk");
        const QModelIndex deb = model.indexOf(1, VmTreeModel::Disk);
        QCOMPARE(model.data(deb).toString(), "3.0 MiB");
        QCOMPARE(model.data(deb, VmTreeModel::SortRole).toLongLong(), (3ll << 20) + 4096);
        QVERIFY(model.data(deb, VmTreeModel::HasDisksRole).toBool());
        const QString tip = model.data(deb, Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains("disk 0: /img/root.ext4 — 1 GiB, overlay 3.0 MiB"), qPrintable(tip));
        QVERIFY2(tip.contains("disk 1: /img/data.img — 64 MiB, read-only, overlay 4 KiB"), qPrintable(tip));
        // A VM without disks: nothing in the column, not "0 KiB".
        const QModelIndex plain = model.indexOf(2, VmTreeModel::Disk);
        QVERIFY(model.data(plain).toString().isEmpty());
        QVERIFY(!model.data(plain, VmTreeModel::HasDisksRole).toBool());
        QVERIFY(!model.data(plain, Qt::ToolTipRole).toString().contains("overlay"));

        // A sample that says overlay_bytes is newer than the VM object.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.applyMetrics(MetricsSample::fromJson(
            {{"t_unix_ms", 1000}, {"samples", QJsonArray{QJsonObject{{"vm", 1}, {"overlay_bytes", 512 * 1024}},
                                                         QJsonObject{{"vm", 2}, {"shared_pages", 5}}}}}));
        QCOMPARE(model.data(deb).toString(), "512 KiB");
        QVERIFY(model.data(plain).toString().isEmpty());
        bool diskChanged = false;
        for (const QList<QVariant>& args : changed)
            diskChanged |= args.at(1).value<QModelIndex>().column() >= VmTreeModel::Disk;
        QVERIFY(diskChanged);
        // A vm.state without disks keeps them.
        VmInfo paused = vmInfo(1, "deb", std::nullopt);
        paused.state = "paused";
        model.updateVm(paused);
        QCOMPARE(model.vm(1)->disks.size(), 2);
        QVERIFY(model.data(deb, VmTreeModel::HasDisksRole).toBool());
    }

    void hundredsOfClones()
    {
        VmTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.addVm(vmInfo(1, "ref", std::nullopt));
        ForkEvent fork;
        fork.parent = 1;
        for (VmId id = 2; id < 302; ++id) fork.clones.append(vmInfo(id, QStringLiteral("w-%1").arg(id), 1));
        model.addFork(fork);
        QCOMPARE(model.rowCount(model.indexOf(1)), 300);
        MetricsSample sample;
        for (VmId id = 1; id < 302; ++id) sample.samples.append({id, id * 10, id, 0, 0, 0});
        model.applyMetrics(sample);
        QCOMPARE(model.data(model.indexOf(301, VmTreeModel::Private), VmTreeModel::SortRole).toLongLong(), 301);
        for (VmId id = 2; id < 302; id += 2) model.removeVm(ExitInfo{id, {}, 0, 0, std::nullopt, {}});
        QCOMPARE(model.rowCount(model.indexOf(1)), 150);
        QCOMPARE(model.vmCount(), 151);
    }
};

QTEST_MAIN(TestVmTreeModel)
#include "tst_vm_tree_model.moc"
