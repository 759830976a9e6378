// MainWindow and AppController offscreen against a fake daemon: the tree
// follows the daemon's answers and events, actions enable by selection and
// state and send the right requests (multi-select stop), and the banner says
// when KVM is missing, when the daemon is gone, and goes away when it is back.
#include "backend/backend_client.h"
#include "fake_daemon.h"
#include "models/vm_tree_model.h"
#include "window/app_controller.h"
#include "window/connection_banner.h"
#include "window/main_window.h"
#include "window/resources.h"

#include <QAction>
#include <QApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QTimer>
#include <QJsonArray>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace hf::ui;
using hf::ui::test::FakeDaemon;

namespace {

QJsonObject vm(int id, const char* name, QJsonValue parent, const char* state = "running")
{
    return {{"id", id}, {"name", name}, {"pid", 1000 + id}, {"parent", parent}, {"state", state},
            {"memory", 268435456}, {"cpus", 1}, {"pty", QStringLiteral("/dev/pts/%1").arg(id)}, {"ready", true}};
}

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString socket() const { return m_dir.filePath("hyperforkd.sock"); }

    AppController::Options options() const
    {
        AppController::Options o;
        o.socketPath = socket();
        o.startDaemon = false;
        return o;
    }

    // Answers the vm.list the app sends after hello.
    static void answerList(FakeDaemon& daemon, const QJsonArray& vms)
    {
        QTRY_VERIFY(!daemon.lastRequest("vm.list").isEmpty());
        daemon.reply(daemon.lastRequest("vm.list"), {{"vms", vms}});
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("HyperForkTest");
        QCoreApplication::setApplicationName("tst_main_window");
        initResources();
    }
    void init() { QLocalServer::removeServer(socket()); }

    void treeAndActionsFollowTheDaemon()
    {
        FakeDaemon daemon(socket());
        QVERIFY(daemon.listen());
        AppController controller(options());
        MainWindow window(&controller);
        window.show();
        controller.start();
        QTRY_VERIFY(controller.backend()->isConnected());
        QVERIFY(window.banner()->isHidden());
        QVERIFY(!daemon.lastRequest("metrics.subscribe").isEmpty());
        answerList(daemon, {vm(1, "ref", QJsonValue()), vm(2, "w-1", 1), vm(3, "w-2", 1, "paused")});
        QTRY_COMPARE(controller.vmTree()->vmCount(), 3);
        QVERIFY(window.treeView()->isExpanded(controller.vmTree()->indexOf(1)));

        // Nothing selected: only Boot.
        QVERIFY(window.action("boot")->isEnabled());
        QVERIFY(!window.action("fork")->isEnabled());
        QVERIFY(!window.action("stop")->isEnabled());
        // A running VM: fork, pause, stop; not resume.
        window.selectVm(2);
        QVERIFY(window.action("fork")->isEnabled());
        QVERIFY(window.action("pause")->isEnabled());
        QVERIFY(!window.action("resume")->isEnabled());
        window.action("pause")->trigger();
        QTRY_VERIFY(!daemon.lastRequest("vm.pause").isEmpty());
        QCOMPARE(daemon.lastRequest("vm.pause").value("params").toObject().value("vm").toInt(), 2);
        // A paused one: resume.
        window.selectVm(3);
        QVERIFY(window.action("resume")->isEnabled());
        QVERIFY(!window.action("pause")->isEnabled());

        // Two selected: stop both; no fork (it takes one VM).
        window.treeView()->selectionModel()->select(controller.vmTree()->indexOf(2),
                                                    QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QCOMPARE(window.selectedVms().size(), 2);
        QVERIFY(!window.action("fork")->isEnabled());
        const int before = static_cast<int>(daemon.received.size());
        // Multi-select stop asks first; answer the box with Yes.
        QTimer::singleShot(100, [] {
            for (QWidget* w : QApplication::topLevelWidgets())
                if (auto* box = qobject_cast<QMessageBox*>(w); box && box->isVisible()) box->button(QMessageBox::Yes)->click();
        });
        window.action("stop")->trigger();
        QTRY_COMPARE(static_cast<int>(daemon.received.size()), before + 2);
        QSet<int> stopped;
        for (int i = before; i < before + 2; ++i) {
            QCOMPARE(daemon.received[i].value("method").toString(), "vm.stop");
            stopped.insert(daemon.received[i].value("params").toObject().value("vm").toInt());
        }
        QCOMPARE(stopped, (QSet<int>{2, 3}));

        // Events move the tree: w-1 exits, a fork arrives under ref.
        daemon.send({{"jsonrpc", "2.0"}, {"method", "vm.exited"},
                     {"params", QJsonObject{{"vm", 2}, {"name", "w-1"}, {"reason", "stopped on request"}}}});
        daemon.send({{"jsonrpc", "2.0"}, {"method", "vm.forked"},
                     {"params", QJsonObject{{"parent", 1}, {"origin", "guest"},
                                            {"clones", QJsonArray{vm(4, "g-1", 1)}}}}});
        QTRY_VERIFY(controller.vmTree()->vm(4) != nullptr);
        QVERIFY(controller.vmTree()->vm(2) == nullptr);
        QCOMPARE(controller.forkLatencies()->rowCount(), 1);
    }

    void bannerSaysWhatIsWrong()
    {
        auto daemon = std::make_unique<FakeDaemon>(socket());
        daemon->kvmAvailable = false;
        daemon->kvmDetail = "/dev/kvm: No such file or directory";
        QVERIFY(daemon->listen());
        AppController controller(options());
        MainWindow window(&controller);
        window.show();
        controller.start();
        QTRY_VERIFY(controller.backend()->isConnected());
        // No KVM: a warning naming the reason; Boot disabled, the rest usable.
        QVERIFY(!window.banner()->isHidden());
        QVERIFY2(window.banner()->text().contains("No such file"), qPrintable(window.banner()->text()));
        QVERIFY(!window.action("boot")->isEnabled());

        // The daemon dies: an error banner, the tree emptied, no crash.
        answerList(*daemon, {vm(1, "ref", QJsonValue())});
        QTRY_COMPARE(controller.vmTree()->vmCount(), 1);
        daemon->stop();
        daemon.reset();
        QTRY_COMPARE(controller.health(), AppController::Health::DaemonDown);
        QVERIFY2(window.banner()->text().contains("reconnecting"), qPrintable(window.banner()->text()));
        QCOMPARE(controller.vmTree()->vmCount(), 0);

        // It comes back (KVM too): the banner goes, the tree is read again.
        daemon = std::make_unique<FakeDaemon>(socket());
        QVERIFY(daemon->listen());
        QTRY_VERIFY_WITH_TIMEOUT(controller.backend()->isConnected(), 5000);
        QTRY_VERIFY(window.banner()->isHidden());
        answerList(*daemon, {vm(1, "ref", QJsonValue()), vm(5, "w-9", 1)});
        QTRY_COMPARE(controller.vmTree()->vmCount(), 2);
    }

    void noDaemonAndNoneToStart()
    {
        AppController::Options o = options();
        o.startDaemon = true;
        o.daemonProgram = m_dir.filePath("missing-hyperforkd");
        AppController controller(o);
        MainWindow window(&controller);
        window.show();
        controller.start();
        QTRY_COMPARE(controller.health(), AppController::Health::DaemonDown);
        QVERIFY2(window.banner()->text().contains("missing-hyperforkd"), qPrintable(window.banner()->text()));
        QVERIFY(!window.action("boot")->isEnabled());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
