// "A manager does not kill what it manages": closing the window leaves VMs
// running (as virt-manager and VirtualBox do) unless the user asks otherwise
// in a dialog that says how many run; with none running it just closes. A
// daemon the app started outlives the app, so the next start finds the VMs.
#include "app_fixture.h"
#include "backend/daemon_launcher.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QMessageBox>
#include <QPushButton>

#include <csignal>

using namespace hf::ui;
using namespace hf::ui::test;

namespace {

// The pid of a process whose command line holds every one of `args`, or 0.
qint64 findProcess(const QList<QByteArray>& args)
{
    for (const QString& pid : QDir("/proc").entryList(QDir::Dirs)) {
        QFile cmdline("/proc/" + pid + "/cmdline");
        if (!cmdline.open(QIODevice::ReadOnly)) continue;
        const QList<QByteArray> argv = cmdline.readAll().split('\0');
        bool all = true;
        for (const QByteArray& a : args) all = all && argv.contains(a);
        if (all) return pid.toLongLong();
    }
    return 0;
}

}  // namespace

class TestQuit : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { useTestSettings("tst_quit"); }
    void init() { QSettings().clear(); }

    void quitWithRunningVmsAsksAndLeavesThemRunning_data()
    {
        QTest::addColumn<bool>("throughQuitAction");  // Ctrl+Q / File > Quit, or the close button
        QTest::newRow("Quit action") << true;
        QTest::newRow("close button") << false;
    }
    void quitWithRunningVmsAsksAndLeavesThemRunning()
    {
        QFETCH(bool, throughQuitAction);
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue()), vmJson(2, "w-1", 1), vmJson(3, "w-2", 1, "paused")}));
        if (throughQuitAction)
            app.window->action("quit")->trigger();
        else
            app.window->close();
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = visibleDialog()) != nullptr);
        const QString text = dialogText(dialog);
        QVERIFY2(text.contains("3 VMs"), qPrintable(text));
        QVERIFY2(text.contains("keep running", Qt::CaseInsensitive), qPrintable(text));
        QVERIFY(app.window->isVisible());  // nothing decided yet
        QAbstractButton* keep = dialogButton(dialog, "Keep");
        QVERIFY(keep);
        // Leaving VMs running is the default: Enter does it.
        auto* box = qobject_cast<QMessageBox*>(dialog);
        QVERIFY(box && box->defaultButton() == qobject_cast<QPushButton*>(keep));
        keep->click();
        QTRY_VERIFY(!app.window->isVisible());
        QTest::qWait(100);
        QCOMPARE(app.requestCount("vm.stop"), 0);
    }

    void quitCanBeCancelled()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        app.window->close();
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = visibleDialog()) != nullptr);
        QVERIFY2(dialogText(dialog).contains("1 VM "), qPrintable(dialogText(dialog)));
        dialogButton(dialog, "Cancel")->click();
        QTest::qWait(100);
        QVERIFY(app.window->isVisible());
        QCOMPARE(app.requestCount("vm.stop"), 0);
    }

    void quitAndStopEveryVm()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue()), vmJson(2, "w-1", 1), vmJson(3, "solo", QJsonValue())}));
        app.window->close();
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = visibleDialog()) != nullptr);
        dialogButton(dialog, "Stop")->click();
        // Each tree stopped from its root, clones included.
        QTRY_COMPARE(app.requestCount("vm.stop"), 2);
        QSet<int> roots;
        for (const QJsonObject& r : app.daemon->received)
            if (r.value("method") == "vm.stop") {
                roots.insert(r.value("params").toObject().value("vm").toInt());
                QVERIFY(r.value("params").toObject().value("tree").toBool());
                app.daemon->reply(r, {{"stopping", QJsonArray{r.value("params").toObject().value("vm")}}});
            }
        QCOMPARE(roots, (QSet<int>{1, 3}));
        QTRY_VERIFY(!app.window->isVisible());
    }

    void quitWithoutVmsDoesNotAsk()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({}));
        app.window->close();
        QTRY_VERIFY(!app.window->isVisible());
        QVERIFY(!visibleDialog());
    }

    void launchedDaemonOutlivesTheApp()
    {
        // A stand-in daemon: `sleep` with an argument no other process has.
        const QByteArray marker = QByteArray::number(QCoreApplication::applicationPid()) + ".5";
        {
            DaemonLauncher launcher;
            launcher.setProgram("/bin/sleep");
            launcher.setArguments({QString::fromLatin1(marker)});
            QString error;
            QVERIFY2(launcher.start(&error), qPrintable(error));
            QTRY_VERIFY(findProcess({"/bin/sleep", marker}) != 0);
        }
        // The launcher is gone (the app quit): the daemon is not.
        QTest::qWait(200);
        const qint64 pid = findProcess({"/bin/sleep", marker});
        QVERIFY(pid != 0);
        ::kill(static_cast<pid_t>(pid), SIGTERM);
    }
};

QTEST_MAIN(TestQuit)
#include "tst_quit.moc"
