// The app inside the KVM sandbox (scripts/run without hardware KVM): which
// paths reach the user's disk, where exports go by default, an export
// elsewhere refused with the reason, no pty path to copy (it exists only in
// the sandbox), the title and the quit question saying so, and what the
// window says when the sandbox died.
#include "app_fixture.h"
#include "charts/cow_chart.h"
#include "window/sandbox.h"

#include <QAction>
#include <QFile>
#include <QTabWidget>
#include <QProcessEnvironment>

using namespace hf::ui;
using namespace hf::ui::test;

class TestSandbox : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    static QProcessEnvironment env(bool sandboxed, const QString& hostDirs, const QString& exportDir)
    {
        QProcessEnvironment e;
        if (sandboxed) e.insert("KVM_SANDBOX", "qemu");
        if (!hostDirs.isEmpty()) e.insert("HYPERFORK_HOST_DIRS", hostDirs);
        if (!exportDir.isEmpty()) e.insert("HYPERFORK_EXPORT_DIR", exportDir);
        return e;
    }

private Q_SLOTS:
    void initTestCase() { useTestSettings("tst_sandbox"); }
    void init() { QSettings().clear(); }
    void cleanup()
    {
        qunsetenv("KVM_SANDBOX");
        qunsetenv("HYPERFORK_HOST_DIRS");
        qunsetenv("HYPERFORK_EXPORT_DIR");
    }

    void reachesHost_data()
    {
        QTest::addColumn<bool>("sandboxed");
        QTest::addColumn<QString>("hostDirs");
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("reaches");
        const QString dirs = "/src/hf:/home/u/.config/HyperFork:/home/u/Pictures/HyperFork";
        QTest::newRow("outside the sandbox: anywhere") << false << QString() << "/tmp/x.png" << true;
        QTest::newRow("the export folder") << true << dirs << "/home/u/Pictures/HyperFork/cow.png" << true;
        QTest::newRow("below it") << true << dirs << "/home/u/Pictures/HyperFork/a/b.svg" << true;
        QTest::newRow("the source tree") << true << dirs << "/src/hf/out.csv" << true;
        QTest::newRow("a fresh /tmp") << true << dirs << "/tmp/x.png" << false;
        QTest::newRow("read-only home") << true << dirs << "/home/u/Documents/x.png" << false;
        QTest::newRow("a look-alike prefix") << true << dirs << "/home/u/Pictures/HyperForkOther/x.png" << false;
        QTest::newRow("out through ..") << true << dirs << "/home/u/Pictures/HyperFork/../x.png" << false;
        // Run in a sandbox by hand, not by scripts/run: nothing known, nothing refused.
        QTest::newRow("no shares known") << true << QString() << "/tmp/out.csv" << true;
    }
    void reachesHost()
    {
        QFETCH(bool, sandboxed);
        QFETCH(QString, hostDirs);
        QFETCH(QString, path);
        QFETCH(bool, reaches);
        const Sandbox s = Sandbox::fromEnvironment(env(sandboxed, hostDirs, "/home/u/Pictures/HyperFork"));
        QCOMPARE(s.active, sandboxed);
        QCOMPARE(s.reachesHost(path), reaches);
    }

    void exportsDefaultToTheSharedFolder()
    {
        const Sandbox s = Sandbox::fromEnvironment(env(true, "/e", "/e"));
        QCOMPARE(s.defaultExportDir(), "/e");
        QVERIFY(!Sandbox::fromEnvironment(env(false, {}, {})).defaultExportDir().isEmpty());
    }

    void sandboxEndedSays_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("says");
        QTest::newRow("died") << 125 << "died";
        QTest::newRow("timed out") << 124 << "timed out";
        QTest::newRow("crashed") << 134 << "signal 6";
        QTest::newRow("status") << 3 << "status 3";
    }
    void sandboxEndedSays()
    {
        QFETCH(int, status);
        QFETCH(QString, says);
        const QString text = sandboxEndedText(status);
        QVERIFY2(text.contains(says), qPrintable(text));
        QVERIFY(text.contains("VMs") && text.contains("gone") && text.contains("./scripts/run"));
    }

    void theWindowInTheSandbox()
    {
        const QString exports = m_dir.filePath("exports");
        QVERIFY(QDir().mkpath(exports));
        qputenv("KVM_SANDBOX", "qemu");
        qputenv("HYPERFORK_HOST_DIRS", QFile::encodeName(exports));
        qputenv("HYPERFORK_EXPORT_DIR", QFile::encodeName(exports));
        AppFixture app(m_dir.path());
        QVERIFY(app.window->sandbox().active);
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        app.tick(1790000000000, {sampleJson(1, 10, 10, 80, 80)});
        app.window->chartTabs()->setCurrentWidget(app.window->cowChart());
        QTRY_VERIFY(app.window->action("exportChartPng")->isEnabled());
        app.window->selectVm(1);
        // The pty path means nothing outside the sandbox.
        QVERIFY(!app.window->action("copyPty")->isEnabled());
        QVERIFY(app.window->action("copyPty")->toolTip().contains("sandbox"));
        QVERIFY(app.window->windowTitle().contains("KVM sandbox"));
        // An export lands in the shared folder, or is refused with the reason.
        QString error;
        QVERIFY2(app.window->exportCurrentChart(exports + "/memory.csv", &error), qPrintable(error));
        QVERIFY(QFile::exists(exports + "/memory.csv"));
        QVERIFY(!app.window->exportCurrentChart(m_dir.filePath("elsewhere.csv"), &error));
        QVERIFY2(error.contains("inside the KVM sandbox") && error.contains(exports), qPrintable(error));
        QVERIFY(!QFile::exists(m_dir.filePath("elsewhere.csv")));
        // Quitting: the VMs cannot outlive the sandbox, and the question says so.
        app.window->close();
        QDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = visibleDialog()) != nullptr);
        const QString text = dialogText(dialog);
        QVERIFY2(text.contains("sandbox") && !text.contains("Keep Running"), qPrintable(text));
        dialogButton(dialog, "Cancel")->click();
    }
};

QTEST_MAIN(TestSandbox)
#include "tst_sandbox.moc"
