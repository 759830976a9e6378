// End to end, on real KVM (inside tests/kvm-sandbox), offscreen: the app
// starts its own hyperforkd, boots the default guest through the boot dialog,
// forks 2 clones through the tree's context menu, types into a clone's
// console and reads the answer, sees chart points arrive and exports a chart.
// Closing the window keeps the VMs running and a new window finds them
// again; "Stop VMs and Quit" stops them, and nothing is left behind.
// With HF_SCREENSHOT_DIR=DIR it also saves pictures of the app there
// (docs/img: app.png, fork-dialog.png, memory-chart.png, console.png).
#include "charts/chart_view.h"
#include "charts/metrics_history.h"
#include "charts/fork_latency_chart.h"
#include "charts/fork_latency_table.h"
#include "charts/cow_chart.h"
#include "console/console_widget.h"
#include "console/terminal_model.h"
#include "console/terminal_view.h"
#include "dialogs/boot_dialog.h"
#include "dialogs/fork_dialog.h"
#include "dialogs/quit_dialog.h"
#include "window/app_controller.h"
#include "window/console_tabs.h"
#include "window/main_window.h"
#include "window/resources.h"

#include <QAction>
#include <QApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QMenu>
#include <QPushButton>
#include <QSpinBox>
#include <QLineEdit>
#include <QStandardPaths>
#include <QSvgRenderer>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeView>

#include <csignal>
#include <memory>

using namespace hf::ui;

namespace {

// Every line the console holds, scrollback included.
QString consoleText(const ConsoleWidget* console)
{
    const TerminalModel* m = console->model();
    QStringList lines;
    for (int i = 0; i < m->scrollbackCount(); ++i) lines << m->scrollbackLineText(i);
    lines << m->screenText();
    return lines.join('\n');
}

// hyperfork-vmm processes whose command line mentions `marker`.
int vmmProcesses(const QString& marker)
{
    int count = 0;
    for (const QString& pid : QDir("/proc").entryList(QDir::Dirs)) {
        QFile cmdline("/proc/" + pid + "/cmdline");
        if (!cmdline.open(QIODevice::ReadOnly)) continue;
        const QByteArray args = cmdline.readAll();
        if (args.contains("hyperfork-vmm") && args.contains(marker.toUtf8())) ++count;
    }
    return count;
}

// Alive and not a zombie (the detached daemon's reaper may be slow to reap).
bool processAlive(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !stat.open(QIODevice::ReadOnly)) return false;
    const QByteArray line = stat.readAll();
    const qsizetype paren = line.lastIndexOf(')');
    return paren > 0 && line.size() > paren + 2 && line.at(paren + 2) != 'Z';
}

// Closes the window and answers the quit question with `choice`.
void closeAnswering(QMainWindow* window, const QString& choice)
{
    QTimer::singleShot(0, window, [window] { window->close(); });
    QuitDialog* dialog = nullptr;
    QTRY_VERIFY((dialog = window->findChild<QuitDialog*>()) != nullptr && dialog->isVisible());
    for (QAbstractButton* b : dialog->buttons())
        if (QString(b->text()).remove('&').contains(choice)) {
            b->click();
            QTRY_VERIFY_WITH_TIMEOUT(!window->isVisible(), 30000);
            return;
        }
    QFAIL(qPrintable("no button " + choice));
}

void clickOk(QDialog* dialog)
{
    auto* buttons = dialog->findChild<QDialogButtonBox*>();
    QVERIFY(buttons);
    QPushButton* ok = buttons->button(QDialogButtonBox::Ok);
    QVERIFY(ok->isEnabled());
    ok->click();
}

}  // namespace

class TestAppEndToEnd : public QObject {
    Q_OBJECT
    QTemporaryDir m_runtime{QDir::tempPath() + "/hf-e2e-XXXXXX"};
    std::unique_ptr<AppController> m_controller;
    std::unique_ptr<MainWindow> m_window;
    qint64 m_daemonPid = 0;

    VmTreeModel* tree() { return m_controller->vmTree(); }

    AppController::Options options() const
    {
        AppController::Options options;
        options.socketPath = m_runtime.filePath("hyperforkd.sock");
        options.daemonProgram = HF_BUILD_DIR "/app/hyperforkd";
        options.daemonArguments = {"--runtime-dir", m_runtime.path()};
        options.metricsHz = 4;
        return options;
    }

    void openWindow()
    {
        m_controller = std::make_unique<AppController>(options());
        m_window = std::make_unique<MainWindow>(m_controller.get());
        m_window->resize(1400, 900);
        m_window->show();
        m_controller->start();
    }

    QString shot(const QString& name) const
    {
        const QString dir = qEnvironmentVariable("HF_SCREENSHOT_DIR");
        return dir.isEmpty() ? QString() : dir + "/" + name;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("HyperForkTest");
        QCoreApplication::setApplicationName("tst_app_e2e");
        initResources();
        // The sandbox is this test's bench, not the app's setting: the app
        // behaves as on a machine with KVM (VMs may outlive it, and so on).
        qunsetenv("KVM_SANDBOX");
        openWindow();
        QTRY_VERIFY_WITH_TIMEOUT(m_controller->backend()->isConnected(), 30000);
        QVERIFY2(m_controller->backend()->daemonInfo().kvmAvailable, qPrintable(m_controller->backend()->daemonInfo().kvmDetail));
        QVERIFY(m_controller->startedDaemon());
        m_daemonPid = m_controller->launcher()->pid();
    }

    void bootTheDefaultGuest()
    {
        QVERIFY(m_window->action("boot")->isEnabled());
        m_window->action("boot")->trigger();
        auto* dialog = m_window->findChild<BootDialog*>();
        QVERIFY(dialog);
        BootRequest request = dialog->request();
        request.name = "ref";
        request.memory = "256M";
        request.kernel.clear();  // the default guest
        request.initrd.clear();
        dialog->setRequest(request);
        QPointer<BootDialog> alive(dialog);
        clickOk(dialog);
        // The dialog closes itself on the guest's READY; nested emulation boots slowly.
        QTRY_VERIFY_WITH_TIMEOUT(!alive || !alive->isVisible(), 240000);
        QCOMPARE(tree()->roots().size(), 1);
        const VmInfo* ref = tree()->vm(tree()->roots().first());
        QVERIFY(ref->ready);
        QCOMPARE(ref->name, "ref");
        // Booting opened its console, history first.
        ConsoleWidget* console = m_window->consoles()->console(ref->id);
        QVERIFY(console);
        QTRY_VERIFY_WITH_TIMEOUT(consoleText(console).contains("Linux version"), 20000);
    }

    void forkTwoThroughTheContextMenu()
    {
        const VmId ref = tree()->roots().first();
        m_window->selectVm(ref);
        QTreeView* view = m_window->treeView();
        const QRect rowRect = view->visualRect(tree()->indexOf(ref));
        bool triggered = false;
        // The context menu runs its own loop: pick "Fork VM…" from inside it, as a user would.
        QTimer::singleShot(300, this, [&] {
            auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget());
            if (!menu) return;
            for (QAction* a : menu->actions())
                if (a->objectName() == "fork" && a->isEnabled()) {
                    menu->setActiveAction(a);
                    QTest::keyClick(menu, Qt::Key_Return);
                    triggered = true;
                    return;
                }
            menu->close();
        });
        Q_EMIT view->customContextMenuRequested(rowRect.center());
        QVERIFY(triggered);
        ForkDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = m_window->findChild<ForkDialog*>()) != nullptr);
        dialog->countBox()->setValue(2);
        dialog->prefixEdit()->setText("w");
        clickOk(dialog);
        QTRY_COMPARE_WITH_TIMEOUT(tree()->vmCount(), 3, 120000);
        // Three rows: the reference VM at the top, both clones under it.
        QCOMPARE(tree()->rowCount(), 1);
        QCOMPARE(tree()->rowCount(tree()->indexOf(ref)), 2);
        const QList<VmId> clones = tree()->children(ref);
        QCOMPARE(tree()->vm(clones[0])->name, "w-1");
        QCOMPARE(tree()->vm(clones[1])->name, "w-2");
        QVERIFY(tree()->vm(clones[0])->forkLatencyMs.value_or(0) > 0);
        QVERIFY(!tree()->data(tree()->indexOf(clones[0], VmTreeModel::ForkLatency)).toString().isEmpty());
    }

    void typeIntoACloneConsole()
    {
        const VmId ref = tree()->roots().first();
        const VmId clone = tree()->children(ref).first();
        m_window->selectVm(clone);
        QVERIFY(m_window->action("console")->isEnabled());
        m_window->action("console")->trigger();
        ConsoleWidget* console = m_window->consoles()->console(clone);
        QVERIFY(console);
        QTRY_VERIFY_WITH_TIMEOUT(console->isAttached(), 10000);
        // The guest computes the answer, so an echo of what was typed does not count.
        QTest::keyClick(console->view(), Qt::Key_Return);
        QTest::keyClicks(console->view(), "echo e2e-$((6*7))");
        QTest::keyClick(console->view(), Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(consoleText(console).contains("e2e-42"), 60000);
        // The parent's console never saw it: the clone has its own serial line.
        ConsoleWidget* parentConsole = m_window->consoles()->console(ref);
        QVERIFY(!consoleText(parentConsole).contains("e2e-42"));
    }

    void chartPointsArriveAndExport()
    {
        QTRY_VERIFY_WITH_TIMEOUT(m_controller->metricsHistory()->totals().size() >= 3, 30000);
        const VmId clone = tree()->children(tree()->roots().first()).first();
        QTRY_VERIFY_WITH_TIMEOUT(m_controller->metricsHistory()->vm(clone) != nullptr, 10000);
        QVERIFY(m_controller->metricsHistory()->vm(clone)->points.back().sharedPages > 0);
        // Shared pages are not summed: the tree's host memory (PSS) is less than its VMs' sizes.
        const MetricsHistory::Total& total = m_controller->metricsHistory()->totals().back();
        QVERIFY2(total.pssKib < total.rssKib, qPrintable(QStringLiteral("%1 %2").arg(total.pssKib).arg(total.rssKib)));
        QCOMPARE(m_controller->forkLatencies()->rowCount(), 2);
        QTRY_COMPARE(m_window->latencyChart()->chartView()->barCategoryCount(), 2);
        QString error;
        const QString png = m_runtime.filePath("latency.png");
        QVERIFY2(m_window->exportCurrentChart(png, &error), qPrintable(error));
        QCOMPARE(QImage(png).size(), QSize(1200, 700));
        const QString svg = m_runtime.filePath("latency.svg");
        QVERIFY2(m_window->exportCurrentChart(svg, &error), qPrintable(error));
        QVERIFY(QSvgRenderer(svg).isValid());
        const QString csv = m_runtime.filePath("latency.csv");
        QVERIFY2(m_window->exportCurrentChart(csv, &error), qPrintable(error));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll().count('\n'), 3);
    }

    void screenshots()
    {
        if (shot("x").isEmpty()) QSKIP("HF_SCREENSHOT_DIR not set");
        // A clone of a clone for the tree, opened through the fork dialog.
        const VmId ref = tree()->roots().first();
        const VmId w1 = tree()->children(ref).first();
        m_window->selectVm(w1);
        m_window->action("fork")->trigger();
        ForkDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = m_window->findChild<ForkDialog*>()) != nullptr && dialog->isVisible());
        dialog->countBox()->setValue(1);
        dialog->prefixEdit()->setText("w-1");
        QTest::qWait(300);
        QVERIFY(dialog->grab().save(shot("fork-dialog.png")));
        clickOk(dialog);
        QTRY_COMPARE_WITH_TIMEOUT(tree()->vmCount(), 4, 120000);
        // The clone writes 48 MB of its own: its private memory grows on the chart.
        ConsoleWidget* console = m_window->consoles()->console(w1);
        QVERIFY(console);
        m_window->consoles()->setCurrentWidget(console);
        // The guest computes the marker, so the echo of the command does not match it.
        QTest::keyClicks(console->view(), "head -c 48000000 /dev/zero > /fill; echo filled-$(($(wc -c < /fill) / 1000000))MB");
        QTest::keyClick(console->view(), Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(consoleText(console).contains("filled-48MB"), 180000);
        QTest::qWait(4000);  // a few more samples after the write
        // The memory chart of all VMs, nothing selected in the tree.
        m_window->treeView()->clearSelection();
        m_window->chartTabs()->setCurrentWidget(m_window->cowChart());
        m_window->cowChart()->refresh();
        QTest::qWait(500);
        QVERIFY(m_window->grab().save(shot("app.png")));
        QVERIFY(m_window->cowChart()->chartView()->renderImage(QSize(900, 520)).save(shot("memory-chart.png")));
        // The clone's memory, shared against its own, next to its console.
        m_window->selectVm(w1);
        m_window->cowChart()->refresh();
        QTest::qWait(500);
        QVERIFY(m_window->grab().save(shot("console.png")));
    }

    void closingKeepsVmsAndTheNextStartFindsThem()
    {
        const int vms = tree()->vmCount();
        QVERIFY(vms >= 3);
        closeAnswering(m_window.get(), "Keep Running");
        m_window.reset();
        m_controller.reset();
        // The daemon and every VM still run, with no app.
        QVERIFY(processAlive(m_daemonPid));
        QCOMPARE(vmmProcesses(m_runtime.path()), vms);
        // The next start finds them again.
        openWindow();
        QTRY_VERIFY_WITH_TIMEOUT(m_controller->backend()->isConnected(), 30000);
        QVERIFY(!m_controller->startedDaemon());  // it found the running one
        QTRY_COMPARE_WITH_TIMEOUT(tree()->vmCount(), vms, 10000);
        QCOMPARE(tree()->vm(tree()->roots().first())->name, "ref");
    }
    void cleanupTestCase()
    {
        // Quitting no longer stops VMs: stop them as a user would.
        if (m_window && m_window->isVisible() && tree()->vmCount() > 0) {
            closeAnswering(m_window.get(), "Stop VMs");
            QTRY_COMPARE_WITH_TIMEOUT(vmmProcesses(m_runtime.path()), 0, 30000);
        }
        m_window.reset();
        m_controller.reset();
        // This window found the daemon running (it did not start it): stop it too.
        if (processAlive(m_daemonPid)) {
            ::kill(static_cast<pid_t>(m_daemonPid), SIGTERM);
            QTRY_VERIFY_WITH_TIMEOUT(!processAlive(m_daemonPid), 15000);
        }
        QCOMPARE(vmmProcesses(m_runtime.path()), 0);
        QVERIFY(!QFile::exists(m_runtime.filePath("hyperforkd.sock")));
    }
};

QTEST_MAIN(TestAppEndToEnd)
#include "tst_app_e2e.moc"
