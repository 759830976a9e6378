// The console's transport and view: PtyConnection against a real pty pair
// (openpty), TerminalView offscreen, and ConsoleWidget gluing them.
#include "console/console_widget.h"
#include "console/pty_connection.h"
#include "console/terminal_model.h"
#include "console/terminal_view.h"

#include <QDir>
#include <QSignalSpy>
#include <QTest>

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

using namespace hf::ui;

namespace {

// A pty pair standing in for a VMM: the test holds the master (the VMM's
// side); the code under test opens the slave by its path, as it does /dev/pts/N.
struct PtyPair {
    int master = -1;
    QString slavePath;
    int slave = -1;  // kept open so that closing the code's fd does not hang up the master
    PtyPair()
    {
        char name[128];
        if (::openpty(&master, &slave, name, nullptr, nullptr) != 0) qFatal("openpty failed");
        ::fcntl(master, F_SETFL, O_NONBLOCK);
        slavePath = QString::fromLocal8Bit(name);
    }
    ~PtyPair()
    {
        if (master >= 0) ::close(master);
        if (slave >= 0) ::close(slave);
    }
    void closeMaster()
    {
        ::close(master);
        master = -1;
    }
    QByteArray readMaster()
    {
        QByteArray out;
        char buf[65536];
        for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) out.append(buf, n);
        return out;
    }
};

int openFdCount() { return static_cast<int>(QDir("/proc/self/fd").entryList(QDir::NoDotAndDotDot | QDir::System).size()); }

}  // namespace

class TestConsole : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bytesFlowBothWays()
    {
        PtyPair pair;
        PtyConnection pty;
        QString error;
        QVERIFY2(pty.open(pair.slavePath, &error), qPrintable(error));
        QSignalSpy received(&pty, &PtyConnection::dataReceived);
        QCOMPARE(::write(pair.master, "guest says hi\r\n", 15), 15);
        QTRY_VERIFY(!received.isEmpty());
        QCOMPARE(received.first().first().toByteArray(), QByteArray("guest says hi\r\n"));
        // Raw mode: what we write reaches the master unchanged (no CR/NL mapping, no echo back to us).
        pty.write("ls\r\x03");
        QByteArray got;
        QTRY_VERIFY((got += pair.readMaster()).size() >= 4);
        QCOMPARE(got, QByteArray("ls\r\x03"));
        QTest::qWait(20);
        QCOMPARE(received.size(), 1);
    }

    void bigWriteDoesNotBlock()
    {
        PtyPair pair;
        PtyConnection pty;
        QString error;
        QVERIFY(pty.open(pair.slavePath, &error));
        const QByteArray big(1 << 20, 'x');
        QElapsedTimer timer;
        timer.start();
        pty.write(big);  // far more than the pty buffer holds: most of it must queue
        QVERIFY(pty.pendingWrite() > 0);
        QVERIFY(timer.elapsed() < 1000);
        // Drain as a VMM would; the connection writes the rest as the pty makes room.
        QByteArray got;
        while (got.size() < big.size() && timer.elapsed() < 20000) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
            got += pair.readMaster();
        }
        QCOMPARE(got.size(), big.size());
        QCOMPARE(pty.pendingWrite(), 0);
    }

    void masterGoneIsClosed()
    {
        PtyPair pair;
        PtyConnection pty;
        QString error;
        QVERIFY(pty.open(pair.slavePath, &error));
        QSignalSpy closed(&pty, &PtyConnection::closed);
        // The VMM exiting closes the master; the slave then reads EIO (or EOF).
        ::close(pair.slave);
        pair.slave = -1;
        pair.closeMaster();
        QTRY_COMPARE(closed.size(), 1);
        QVERIFY(!pty.isOpen());
    }

    void missingPathIsAnError()
    {
        PtyConnection pty;
        QString error;
        QVERIFY(!pty.open("/dev/pts/does-not-exist", &error));
        QVERIFY2(error.contains("/dev/pts/does-not-exist"), qPrintable(error));
        QVERIFY(!pty.open("/dev/null", &error));
        QVERIFY2(error.contains("not a terminal"), qPrintable(error));
    }

    void noFdLeaks()
    {
        const int before = openFdCount();
        for (int i = 0; i < 20; ++i) {
            PtyPair pair;
            ConsoleWidget console;
            QString error;
            QVERIFY(console.attach(pair.slavePath, "history\r\n", &error));
        }
        QCOMPARE(openFdCount(), before);
    }

    void consoleShowsHistoryThenLiveOutputAndSendsKeys()
    {
        PtyPair pair;
        ConsoleWidget console;
        console.resize(640, 400);
        console.show();
        QString error;
        QVERIFY(console.attach(pair.slavePath, "[    0.000000] Linux version 6.1\r\n~ # ", &error));
        QCOMPARE(console.model()->lineText(0), "[    0.000000] Linux version 6.1");
        QCOMPARE(console.model()->lineText(1), "~ #");
        QCOMPARE(::write(pair.master, "ok\r\n", 4), 4);
        QTRY_COMPARE(console.model()->lineText(1), "~ # ok");
        QTest::keyClicks(console.view(), "uname");
        QTest::keyClick(console.view(), Qt::Key_Return);
        QByteArray got;
        QTRY_COMPARE((got += pair.readMaster()), QByteArray("uname\r"));
        // The VM goes away: the console says so and stays readable.
        QSignalSpy closed(&console, &ConsoleWidget::closed);
        ::close(pair.slave);
        pair.slave = -1;
        pair.closeMaster();
        QTRY_COMPARE(closed.size(), 1);
        QVERIFY(console.model()->screenText().contains("[console closed"));
        QVERIFY(console.model()->screenText().contains("Linux version"));
    }

    void viewResizesTheModelAndPaintsColours()
    {
        TerminalModel model(24, 80);
        TerminalView view(&model);
        QSignalSpy sized(&view, &TerminalView::sizeChanged);
        view.resize(50 * view.cellSize().width() + 40, 10 * view.cellSize().height() + 10);
        view.show();
        QTRY_VERIFY(!sized.isEmpty());
        QCOMPARE(model.cols(), view.viewport()->width() / view.cellSize().width());
        QCOMPARE(model.rows(), view.viewport()->height() / view.cellSize().height());
        model.feed("\x1b[48;2;255;0;0m    \x1b[0m");
        const QImage image = view.viewport()->grab().toImage();
        const QPoint inside(view.cellSize().width() / 2, view.cellSize().height() / 2);
        QCOMPARE(QColor(image.pixel(inside)), QColor(255, 0, 0));
        const QPoint outside(view.cellSize().width() * 6, view.cellSize().height() * 3);
        QCOMPARE(QColor(image.pixel(outside)), model.defaultBackground());
    }

    void viewKeysAndCopy()
    {
        TerminalModel model(5, 20);
        TerminalView view(&model);
        view.resize(300, 120);
        view.show();
        QByteArray out;
        connect(&model, &TerminalModel::outputReady, this, [&](const QByteArray& b) { out += b; });
        QTest::keyClick(&view, Qt::Key_Up);
        QTest::keyClick(&view, Qt::Key_C, Qt::ControlModifier);
        QTest::keyClick(&view, Qt::Key_Tab);  // the guest's, not focus navigation
        QCOMPARE(out, QByteArray("\x1b[A\x03\t"));
        QCOMPARE(view.focusPolicy(), Qt::StrongFocus);
        model.feed("copy me");
        view.selectAll();
        QVERIFY(view.selectedText().startsWith("copy me"));
    }
};

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
