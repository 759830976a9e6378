// "A terminal owns its keys": with a console focused, every key goes to the
// guest (Ctrl+P is the shell's history, not Pause; Ctrl+R reverse search, not
// Resume), and the app's shortcuts work again once the console is not
// focused. The Send Key menu sends what a desktop keeps from a terminal.
#include "app_fixture.h"
#include "console/console_widget.h"
#include "console/terminal_view.h"
#include "window/console_tabs.h"

#include <QAction>
#include <QMenu>
#include <QSignalSpy>
#include <QTreeView>

using namespace hf::ui;
using namespace hf::ui::test;

class TestConsoleKeys : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    // The app with ref running and its console open on a test pty.
    struct Session {
        AppFixture app;
        TestPty pty;
        ConsoleWidget* console = nullptr;
        explicit Session(const QString& dir) : app(dir) {}
    };

    // `state`: the VM's, so that the shortcut a key would steal is enabled
    // (Resume only for a paused VM).
    std::unique_ptr<Session> openConsole(const QString& state = "running")
    {
        auto s = std::make_unique<Session>(m_dir.path());
        if (!s->app.start({vmJson(1, "ref", QJsonValue(), state)})) return nullptr;
        s->app.window->selectVm(1);
        s->app.window->action("console")->trigger();
        if (!QTest::qWaitFor([&] { return !s->app.daemon->lastRequest("vm.console").isEmpty(); }, 5000)) return nullptr;
        s->app.daemon->reply(s->app.daemon->lastRequest("vm.console"),
                             {{"vm", 1}, {"pty", s->pty.slavePath()}, {"history", "ref login: "}});
        s->console = s->app.window->consoles()->console(1);
        if (!s->console || !QTest::qWaitFor([&] { return s->console->isAttached(); }, 5000)) return nullptr;
        s->console->view()->setFocus();
        return s;
    }

private Q_SLOTS:
    void initTestCase() { useTestSettings("tst_console_keys"); }
    void init() { QSettings().clear(); }

    void focusedConsoleGetsEveryKey_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<int>("modifiers");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("state");  // the VM's: the stolen shortcut is enabled
        const int ctrl = Qt::ControlModifier;
        QTest::newRow("Ctrl+P: history, not Pause") << int(Qt::Key_P) << ctrl << QByteArray("\x10") << "running";
        QTest::newRow("Ctrl+R: reverse search, not Resume") << int(Qt::Key_R) << ctrl << QByteArray("\x12") << "paused";
        QTest::newRow("Ctrl+F: forward, not Fork") << int(Qt::Key_F) << ctrl << QByteArray("\x06") << "running";
        QTest::newRow("Ctrl+B: back, not Boot") << int(Qt::Key_B) << ctrl << QByteArray("\x02") << "running";
        QTest::newRow("Ctrl+T: transpose, not Open Console") << int(Qt::Key_T) << ctrl << QByteArray("\x14") << "running";
        QTest::newRow("Ctrl+C") << int(Qt::Key_C) << ctrl << QByteArray("\x03") << "running";
        QTest::newRow("Ctrl+Q: XON, not Quit") << int(Qt::Key_Q) << ctrl << QByteArray("\x11") << "running";
        QTest::newRow("Ctrl+Del: not Stop") << int(Qt::Key_Delete) << ctrl << QByteArray("\x1b[3;5~") << "running";
        QTest::newRow("Ctrl+\\: quit signal") << int(Qt::Key_Backslash) << ctrl << QByteArray("\x1c") << "running";
        QTest::newRow("Ctrl+M: Enter, not CSI u") << int(Qt::Key_M) << ctrl << QByteArray("\r") << "running";
        QTest::newRow("Up") << int(Qt::Key_Up) << 0 << QByteArray("\x1b[A") << "running";
        QTest::newRow("Tab") << int(Qt::Key_Tab) << 0 << QByteArray("\t") << "running";
        QTest::newRow("Alt+F: forward word, not a menu") << int(Qt::Key_F) << int(Qt::AltModifier) << QByteArray("\x1b" "f") << "running";
    }
    void focusedConsoleGetsEveryKey()
    {
        QFETCH(int, key);
        QFETCH(int, modifiers);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, state);
        auto s = openConsole(state);
        QVERIFY(s);
        QTRY_VERIFY(s->console->view()->hasFocus());
        s->pty.read();
        QList<std::shared_ptr<QSignalSpy>> spies;
        for (const char* name : {"boot", "fork", "pause", "resume", "stop", "console", "quit"})
            spies << std::make_shared<QSignalSpy>(s->app.window->action(name), &QAction::triggered);
        const int requests = static_cast<int>(s->app.daemon->received.size());

        QTest::keyClick(s->console->view(), static_cast<Qt::Key>(key), Qt::KeyboardModifiers(modifiers));
        QByteArray typed;
        QTRY_VERIFY((typed += s->pty.read()).size() >= bytes.size());
        QCOMPARE(typed, bytes);
        for (const auto& spy : spies) QCOMPARE(spy->count(), 0);
        QTest::qWait(50);
        QCOMPARE(static_cast<int>(s->app.daemon->received.size()), requests);
        QVERIFY(s->app.window->isVisible());
        QVERIFY(!visibleDialog());
    }

    void shortcutsWorkWhenTheConsoleIsNotFocused()
    {
        auto s = openConsole();
        QVERIFY(s);
        s->app.window->treeView()->setFocus();
        QTRY_VERIFY(s->app.window->treeView()->hasFocus());
        s->app.window->selectVm(1);
        QTest::keyClick(s->app.window->treeView(), Qt::Key_P, Qt::ControlModifier);
        QTRY_COMPARE(s->app.requestCount("vm.pause"), 1);
        QCOMPARE(s->pty.read(), QByteArray());
    }

    void sendKeyMenu_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("Ctrl+C") << "sendCtrlC" << QByteArray("\x03");
        QTest::newRow("Ctrl+D") << "sendCtrlD" << QByteArray("\x04");
        QTest::newRow("Ctrl+Z") << "sendCtrlZ" << QByteArray("\x1a");
        QTest::newRow("Ctrl+\\") << "sendCtrlBackslash" << QByteArray("\x1c");
        QTest::newRow("Ctrl+Alt+Del") << "sendCtrlAltDel" << QByteArray("\x1b[3;7~");
        QTest::newRow("Escape") << "sendEscape" << QByteArray("\x1b");
    }
    void sendKeyMenu()
    {
        QFETCH(QString, action);
        QFETCH(QByteArray, bytes);
        auto s = openConsole();
        QVERIFY(s);
        s->pty.read();
        QAction* send = s->app.window->action(action);
        QVERIFY2(send, qPrintable(action));
        // In the VM menu, under Send Key, enabled while a console is shown.
        QAction* menuAction = s->app.window->action("sendKey");
        QVERIFY(menuAction && menuAction->menu());
        QVERIFY(menuAction->menu()->actions().contains(send));
        QVERIFY(send->isEnabled());
        send->trigger();
        QByteArray typed;
        QTRY_VERIFY((typed += s->pty.read()).size() >= bytes.size());
        QCOMPARE(typed, bytes);
    }
};

QTEST_MAIN(TestConsoleKeys)
#include "tst_console_keys.moc"
