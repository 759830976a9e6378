// Templates and their warm spares through the whole app, against the
// scripted daemon of app_fixture.h: Keep as Template… in the context and VM
// menus sends vm.template with the chosen count; the tree says "template ·
// N/M spares ready" from the answer and from vm.list refreshes (the daemon
// sends no event when spares change); Resume ends it; a fork a spare served
// is reported as warm in the status bar, the tree and the Forks table.
#include "app_fixture.h"
#include "charts/fork_latency_table.h"
#include "dialogs/template_dialog.h"
#include "window/fork_status_text.h"

#include <QAction>
#include <QMenu>
#include <QMenuBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTimer>
#include <QTreeView>

using namespace hf::ui;
using namespace hf::ui::test;

namespace {

QJsonObject sparesJson(int wanted, int ready, int served = 0)
{
    return {{"template", true}, {"wanted", wanted}, {"ready", ready}, {"served", served}};
}

// A VM kept paused as a template, as vm.list and vm.template describe it.
QJsonObject templateJson(int id, const QString& name, int wanted, int ready, int served = 0)
{
    QJsonObject o = vmJson(id, name, QJsonValue(), "paused");
    o["spares"] = sparesJson(wanted, ready, served);
    return o;
}

QJsonObject cloneJson(int id, const QString& name, int parent, double ms, bool warm)
{
    QJsonObject c = vmJson(id, name, parent);
    c["origin"] = "command";
    c["fork"] = QJsonObject{{"latency_ms", ms},
                            {"warm", warm},
                            {"phases_ms", warm ? QJsonObject{{"handover", ms / 2}, {"activate", ms / 2}}
                                               : QJsonObject{{"pause", 1.0}, {"fork", ms - 1}}}};
    return c;
}

QString stateText(AppFixture& app, VmId vm) { return app.tree()->indexOf(vm, VmTreeModel::State).data().toString(); }

// Triggers `action` from the tree's context menu on `vm`; false when the
// menu did not offer it.
bool triggerFromContextMenu(AppFixture& app, VmId vm, QAction* action)
{
    QTreeView* tree = app.window->treeView();
    bool offered = false;
    QTimer timer;
    timer.setInterval(20);
    QObject::connect(&timer, &QTimer::timeout, [&] {
        if (auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget())) {
            timer.stop();
            offered = menu->actions().contains(action);
            menu->close();
            // After the menu's own loop ends, as a click would.
            if (offered) QTimer::singleShot(0, action, &QAction::trigger);
        }
    });
    timer.start();
    Q_EMIT tree->customContextMenuRequested(tree->visualRect(viewIndexOf(tree, vm)).center());
    if (!QTest::qWaitFor([&] { return !timer.isActive(); }, 5000)) return false;
    return offered;
}

TemplateDialog* templateDialog() { return qobject_cast<TemplateDialog*>(visibleDialog()); }

}  // namespace

class TestTemplates : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { useTestSettings("tst_templates"); }
    void init() { QSettings().clear(); }

    void contextMenuSendsVmTemplateWithTheChosenCount()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        app.window->selectVm(1);
        QAction* keep = app.window->action("template");
        QVERIFY(keep);
        QVERIFY(keep->isEnabled());
        QVERIFY(triggerFromContextMenu(app, 1, keep));
        TemplateDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = templateDialog()) != nullptr);
        QCOMPARE(dialog->sparesBox()->value(), 2);  // the default
        QCOMPARE(dialog->sparesBox()->minimum(), 0);
        QCOMPARE(dialog->sparesBox()->maximum(), 8);
        QVERIFY2(dialogText(dialog).contains("warm spares"), qPrintable(dialogText(dialog)));
        dialog->sparesBox()->setValue(3);
        dialog->accept();
        QTRY_VERIFY(!app.daemon->lastRequest("vm.template").isEmpty());
        const QJsonObject request = app.daemon->lastRequest("vm.template");
        QCOMPARE(request.value("params").toObject(), (QJsonObject{{"vm", 1}, {"spares", 3}}));

        // The daemon's vm.state (paused, spares not known yet), then its answer.
        app.event("vm.state", {{"vm", vmJson(1, "ref", QJsonValue(), "paused")}});
        QTRY_COMPARE(stateText(app, 1), "paused");
        app.daemon->reply(request, {{"vm", templateJson(1, "ref", 3, 0)}});
        QTRY_COMPARE(stateText(app, 1), "template · 0/3 spares ready");
        QTRY_VERIFY(app.window->statusBar()->currentMessage().contains("Kept ref paused as a template"));
        QVERIFY2(app.window->statusBar()->currentMessage().contains("3 warm spares"),
                 qPrintable(app.window->statusBar()->currentMessage()));
    }

    void inTheVmMenuAndOfferingATemplatesCount()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({templateJson(1, "ref", 5, 5), vmJson(2, "other", QJsonValue())}));
        QAction* keep = app.window->action("template");
        QMenu* vmMenu = nullptr;
        for (QAction* a : app.window->menuBar()->actions())
            if (QString(a->text()).remove('&') == "VM") vmMenu = a->menu();
        QVERIFY(vmMenu && vmMenu->actions().contains(keep));
        // One VM at a time.
        app.window->treeView()->selectAll();
        QVERIFY(!keep->isEnabled());
        // A template already: its own count is offered, to change it.
        app.window->selectVm(1);
        QVERIFY(keep->isEnabled());
        keep->trigger();
        TemplateDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = templateDialog()) != nullptr);
        QCOMPARE(dialog->sparesBox()->value(), 5);
        dialog->reject();
        QTest::qWait(50);
        QCOMPARE(app.requestCount("vm.template"), 0);
    }

    void daemonErrorIsShown()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        TemplateRequest request;
        request.vm = 1;
        request.spares = 4;
        app.window->keepAsTemplate(request);
        QTRY_VERIFY(!app.daemon->lastRequest("vm.template").isEmpty());
        app.daemon->send({{"jsonrpc", "2.0"},
                          {"id", app.daemon->lastRequest("vm.template").value("id")},
                          {"error", QJsonObject{{"code", -32014}, {"message", "VM 1 'ref': the VMM refused: no memory"}}}});
        QDialog* box = nullptr;
        QTRY_VERIFY((box = visibleDialog()) != nullptr);
        QVERIFY2(dialogText(box).contains("Keeping ref as a template failed") && dialogText(box).contains("no memory"),
                 qPrintable(dialogText(box)));
        QCOMPARE(stateText(app, 1), "running");
        box->close();
    }

    // The daemon refreshes a template's spares every 2 s without an event:
    // the app asks vm.list again while a VM is paused, and updates the row
    // in place (no reset: the selection and expansion stay).
    void sparesFollowTheDaemonsRefreshes()
    {
        AppFixture app(m_dir.path(), true, [](AppController::Options& o) { o.sparesRefreshMs = 50; });
        QVERIFY(app.start({templateJson(1, "ref", 2, 0), vmJson(2, "ref-1", 1)}));
        QCOMPARE(stateText(app, 1), "template · 0/2 spares ready");
        const QString tip = app.tree()->indexOf(1, VmTreeModel::State).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains("warm spares") && tip.contains("built ahead") && tip.contains("Resume"), qPrintable(tip));
        app.window->selectVm(2);
        QSignalSpy reset(app.tree(), &QAbstractItemModel::modelReset);
        // The first vm.list, then one refresh; unanswered, no second piles up behind it.
        QTRY_COMPARE(app.requestCount("vm.list"), 2);
        QTest::qWait(200);
        QCOMPARE(app.requestCount("vm.list"), 2);
        app.daemon->reply(app.daemon->lastRequest("vm.list"),
                          {{"vms", QJsonArray{templateJson(1, "ref", 2, 2, 1), vmJson(2, "ref-1", 1)}}});
        QTRY_COMPARE(stateText(app, 1), "template · 2/2 spares ready");
        QCOMPARE(reset.size(), 0);
        QCOMPARE(app.window->selectedVms(), QList<VmId>{2});
        QVERIFY(app.tree()->indexOf(1, VmTreeModel::State).data(Qt::ToolTipRole).toString().contains("1 fork"));
    }

    void nothingPausedNoRefreshes()
    {
        AppFixture app(m_dir.path(), true, [](AppController::Options& o) { o.sparesRefreshMs = 20; });
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        QTest::qWait(200);
        QCOMPARE(app.requestCount("vm.list"), 1);
        // Paused (a fork with parent "pause" makes a template by itself): refreshes start.
        app.event("vm.state", {{"vm", vmJson(1, "ref", QJsonValue(), "paused")}});
        QTRY_VERIFY(app.requestCount("vm.list") > 1);
    }

    void resumeEndsTemplateMode()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({templateJson(1, "ref", 2, 2)}));
        QCOMPARE(stateText(app, 1), "template · 2/2 spares ready");
        app.window->selectVm(1);
        QAction* resume = app.window->action("resume");
        QVERIFY(resume->isEnabled());
        resume->trigger();
        QTRY_VERIFY(!app.daemon->lastRequest("vm.resume").isEmpty());
        QCOMPARE(app.daemon->lastRequest("vm.resume").value("params").toObject(), (QJsonObject{{"vm", 1}}));
        // The daemon drops the spares and says so.
        QJsonObject resumed = vmJson(1, "ref", QJsonValue(), "running");
        resumed["spares"] = QJsonValue::Null;
        app.event("vm.state", {{"vm", resumed}});
        QTRY_COMPARE(stateText(app, 1), "running");
        QVERIFY(!app.tree()->indexOf(1).data(VmTreeModel::TemplateRole).toBool());
    }

    void forkOfATemplateSaysWarm()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({templateJson(1, "ref", 2, 2)}));
        app.window->selectVm(1);
        QVERIFY(app.window->action("fork")->isEnabled());  // Fork VM… as for any VM
        app.window->forkSelected(1, QString());
        QTRY_VERIFY(!app.daemon->lastRequest("vm.fork").isEmpty());
        app.event("vm.forked", {{"parent", 1},
                                {"origin", "command"},
                                {"clones", QJsonArray{cloneJson(3, "ref-3", 1, 0.9, true)}},
                                {"latency_ms", QJsonObject{{"max", 0.9}, {"mean", 0.9}}}});
        QStatusBar* bar = app.window->statusBar();
        QTRY_COMPARE(bar->currentMessage(), "Forked ref-3 from a warm spare in 0.9 ms");
        // Spares are no VMs: only the clone is a new row.
        QCOMPARE(app.tree()->vmCount(), 2);
        QCOMPARE(app.tree()->indexOf(3, VmTreeModel::ForkLatency).data().toString(), "0.9 ms (warm)");
        QVERIFY(app.tree()->indexOf(3, VmTreeModel::ForkLatency).data(Qt::ToolTipRole).toString().contains("warm spare"));
        ForkLatencyTable* forks = app.controller->forkLatencies();
        QCOMPARE(forks->rowCount(), 1);
        QCOMPARE(forks->index(0, ForkLatencyTable::Warm).data().toString(), "warm");
    }

    void forkStatusTexts_data()
    {
        QTest::addColumn<QString>("origin");
        QTest::addColumn<QList<bool>>("warm");
        QTest::addColumn<QString>("text");
        QTest::newRow("one cold") << "command" << QList<bool>{false} << "Forked 1 clone of ref, the slowest in 41.0 ms";
        QTest::newRow("one warm") << "command" << QList<bool>{true} << "Forked ref-1 from a warm spare in 1.0 ms";
        QTest::newRow("all warm") << "command" << QList<bool>{true, true}
                                  << "Forked 2 clones of ref from warm spares, the slowest in 41.0 ms";
        QTest::newRow("some warm") << "command" << QList<bool>{true, false, false}
                                   << "Forked 3 clones of ref, 1 from warm spares, the slowest in 41.0 ms";
        QTest::newRow("guest") << "guest" << QList<bool>{false, false}
                               << "The guest of ref forked: 2 clones, the slowest in 41.0 ms";
    }
    void forkStatusTexts()
    {
        QFETCH(QString, origin);
        QFETCH(QList<bool>, warm);
        QFETCH(QString, text);
        ForkEvent f;
        f.parent = 1;
        f.origin = origin;
        f.maxMs = 41;
        for (qsizetype i = 0; i < warm.size(); ++i) {
            VmInfo c;
            c.id = 2 + i;
            c.name = QStringLiteral("ref-%1").arg(i + 1);
            c.forkWarm = warm[i];
            c.forkLatencyMs = warm[i] ? 1.0 : 41.0;
            f.clones << c;
        }
        QCOMPARE(forkStatusText(f, "ref"), text);
    }
};

QTEST_MAIN(TestTemplates)
#include "tst_templates.moc"
