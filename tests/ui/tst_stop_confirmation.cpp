// Stop and Force Off confirm first, naming the VMs and saying what happens
// to their clones (they move up to the parent, or stop too: vm.stop's
// `tree`); Cancel is the default, so Enter stops nothing.
#include "app_fixture.h"

#include <QAction>
#include <QCheckBox>
#include <QItemSelectionModel>
#include <QMessageBox>
#include <QPushButton>
#include <QTreeView>

using namespace hf::ui;
using namespace hf::ui::test;

class TestStopConfirmation : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    static QJsonArray vms()
    {
        return {vmJson(1, "ref", QJsonValue()), vmJson(2, "w-1", 1), vmJson(4, "w-1-1", 2), vmJson(3, "w-2", 1),
                vmJson(5, "solo", QJsonValue())};
    }

    static void select(AppFixture& app, const QList<int>& ids)
    {
        QTreeView* view = app.window->treeView();
        view->clearSelection();
        for (int id : ids)
            view->selectionModel()->select(viewIndexOf(view, id), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }

private Q_SLOTS:
    void initTestCase() { useTestSettings("tst_stop_confirmation"); }
    void init() { QSettings().clear(); }

    void stopAsksNamingVmsAndClones_data()
    {
        QTest::addColumn<QList<int>>("selected");
        QTest::addColumn<QStringList>("mentioned");  // each must appear in the dialog
        QTest::addColumn<bool>("offersTree");        // "also stop their clones" offered
        QTest::newRow("one VM, no clones") << QList<int>{5} << QStringList{"solo"} << false;
        QTest::newRow("a VM with clones") << QList<int>{1} << QStringList{"ref", "3 clones", "move up"} << true;
        QTest::newRow("a clone with a clone") << QList<int>{2} << QStringList{"w-1", "w-1-1", "ref"} << true;
        QTest::newRow("two VMs") << QList<int>{3, 5} << QStringList{"w-2", "solo", "2 VMs"} << false;
    }
    void stopAsksNamingVmsAndClones()
    {
        QFETCH(QList<int>, selected);
        QFETCH(QStringList, mentioned);
        QFETCH(bool, offersTree);
        AppFixture app(m_dir.path());
        QVERIFY(app.start(vms()));
        select(app, selected);
        QCOMPARE(app.window->selectedVms().size(), selected.size());
        app.window->action("stop")->trigger();
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = visibleDialog()) != nullptr);
        const QString text = dialogText(dialog);
        for (const QString& m : mentioned) QVERIFY2(text.contains(m), qPrintable(m + " not in:\n" + text));
        QCOMPARE(dialog->findChild<QCheckBox*>("stopTree") != nullptr && dialog->findChild<QCheckBox*>("stopTree")->isVisible(),
                 offersTree);
        // Cancel is the default button: Enter stops nothing.
        auto* cancel = qobject_cast<QPushButton*>(dialogButton(dialog, "Cancel"));
        QVERIFY(cancel);
        QVERIFY(cancel->isDefault());
        QTest::keyClick(dialog, Qt::Key_Return);
        QTRY_VERIFY(!dialog->isVisible());
        QTest::qWait(50);
        QCOMPARE(app.requestCount("vm.stop"), 0);
    }

    void stopSendsTreeWhenAsked_data()
    {
        QTest::addColumn<bool>("tree");
        QTest::newRow("clones move up") << false;
        QTest::newRow("clones stop too") << true;
    }
    void stopSendsTreeWhenAsked()
    {
        QFETCH(bool, tree);
        AppFixture app(m_dir.path());
        QVERIFY(app.start(vms()));
        app.window->selectVm(1);
        app.window->action("stop")->trigger();
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = visibleDialog()) != nullptr);
        auto* box = dialog->findChild<QCheckBox*>("stopTree");
        QVERIFY(box);
        box->setChecked(tree);
        QVERIFY2(dialogText(dialog).contains(tree ? "stop too" : "move up"), qPrintable(dialogText(dialog)));
        dialogButton(dialog, "Stop")->click();
        QTRY_COMPARE(app.requestCount("vm.stop"), 1);
        const QJsonObject params = app.daemon->lastRequest("vm.stop").value("params").toObject();
        QCOMPARE(params.value("vm").toInt(), 1);
        QCOMPARE(params.value("tree").toBool(), tree);
        QVERIFY(!params.value("force").toBool());
    }

    void stopWithTreeSkipsSelectedDescendants()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start(vms()));
        select(app, {1, 4});  // ref's tree holds w-1-1
        app.window->action("stop")->trigger();
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = visibleDialog()) != nullptr);
        dialog->findChild<QCheckBox*>("stopTree")->setChecked(true);
        dialogButton(dialog, "Stop")->click();
        QTRY_COMPARE(app.requestCount("vm.stop"), 1);
        QTest::qWait(50);
        QCOMPARE(app.requestCount("vm.stop"), 1);
    }

    void forceOffIsItsOwnAction()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start(vms()));
        app.window->selectVm(5);
        QAction* force = app.window->action("forceOff");
        QVERIFY(force);
        QVERIFY(force->isEnabled());
        force->trigger();
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = visibleDialog()) != nullptr);
        const QString text = dialogText(dialog);
        QVERIFY2(text.contains("solo") && text.contains("Force", Qt::CaseInsensitive), qPrintable(text));
        QVERIFY(qobject_cast<QPushButton*>(dialogButton(dialog, "Cancel"))->isDefault());
        dialogButton(dialog, "Force Off")->click();
        QTRY_COMPARE(app.requestCount("vm.stop"), 1);
        const QJsonObject params = app.daemon->lastRequest("vm.stop").value("params").toObject();
        QCOMPARE(params.value("vm").toInt(), 5);
        QVERIFY(params.value("force").toBool());
    }
};

QTEST_MAIN(TestStopConfirmation)
#include "tst_stop_confirmation.moc"
