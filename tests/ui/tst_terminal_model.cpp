// TerminalModel without a widget: escape sequences in, screen and scrollback
// out, keys in, bytes out. Data-driven: one row per sequence.
#include "console/terminal_model.h"

#include <QSignalSpy>
#include <QTest>

using namespace hf::ui;

class TestTerminalModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void screenText_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("screen");
        QTest::addColumn<QPoint>("cursor");
        QTest::newRow("plain") << QByteArray("hello") << "hello" << QPoint(5, 0);
        QTest::newRow("crlf") << QByteArray("one\r\ntwo") << "one\ntwo" << QPoint(3, 1);
        QTest::newRow("lf alone keeps the column") << QByteArray("ab\ncd") << "ab\n  cd" << QPoint(4, 1);
        QTest::newRow("backspace overwrites") << QByteArray("abc\bX") << "abX" << QPoint(3, 0);
        QTest::newRow("wrap at the last column") << QByteArray(12, 'x') << "xxxxxxxxxx\nxx" << QPoint(2, 1);
        QTest::newRow("CUP") << QByteArray("\x1b[3;4Hz") << "\n\n   z" << QPoint(4, 2);
        QTest::newRow("CUU CUF") << QByteArray("\r\n\r\nab\x1b[2A\x1b[3Cc") << "     c\n\nab" << QPoint(6, 0);
        QTest::newRow("EL erases to the end") << QByteArray("abcdef\x1b[3D\x1b[K") << "abc" << QPoint(3, 0);
        QTest::newRow("ED 2 clears the screen") << QByteArray("abc\r\ndef\x1b[2J") << "" << QPoint(3, 1);
        QTest::newRow("tab") << QByteArray("a\tb") << "a       b" << QPoint(9, 0);
        QTest::newRow("utf-8") << QByteArray("gr\xc3\xbc\xc3\x9f \xe2\x82\xac") << QString::fromUtf8("grüß €") << QPoint(6, 0);
        QTest::newRow("utf-8 split is joined") << QByteArray("\xe2\x82") + QByteArray("\xac") << QString::fromUtf8("€") << QPoint(1, 0);
        QTest::newRow("wide char takes two columns") << QByteArray("\xe6\x97\xa5x") << QString::fromUtf8("日x") << QPoint(3, 0);
        QTest::newRow("SGR does not print") << QByteArray("\x1b[1;31mred\x1b[0m") << "red" << QPoint(3, 0);
        QTest::newRow("alternate screen and back") << QByteArray("main\x1b[?1049h\x1b[2Jalt\x1b[?1049l") << "main" << QPoint(4, 0);
        QTest::newRow("hidden cursor still moves") << QByteArray("\x1b[?25lab") << "ab" << QPoint(2, 0);
    }
    void screenText()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, screen);
        QFETCH(QPoint, cursor);
        TerminalModel model(4, 10, 100);
        QSignalSpy changed(&model, &TerminalModel::changed);
        model.feed(input);
        QCOMPARE(model.screenText(), screen);
        QCOMPARE(model.cursor(), cursor);
        QCOMPARE(changed.size(), 1);  // one signal per feed, however much changed
    }

    void colorsAndAttributes_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QColor>("fg");
        QTest::addColumn<QColor>("bg");
        QTest::addColumn<bool>("bold");
        QTest::addColumn<bool>("underline");
        QTest::addColumn<bool>("reverse");
        const QColor dfg(0xd0, 0xd0, 0xd0), dbg(0x1e, 0x1e, 0x1e);
        QTest::newRow("default") << QByteArray("x") << dfg << dbg << false << false << false;
        QTest::newRow("truecolor fg") << QByteArray("\x1b[38;2;10;20;30mx") << QColor(10, 20, 30) << dbg << false << false << false;
        QTest::newRow("truecolor bg") << QByteArray("\x1b[48;2;200;100;50mx") << dfg << QColor(200, 100, 50) << false << false << false;
        QTest::newRow("256 colour cube") << QByteArray("\x1b[38;5;196mx") << QColor(255, 0, 0) << dbg << false << false << false;
        QTest::newRow("256 colour bg") << QByteArray("\x1b[48;5;21mx") << dfg << QColor(0, 0, 255) << false << false << false;
        QTest::newRow("bold underline") << QByteArray("\x1b[1;4mx") << dfg << dbg << true << true << false;
        QTest::newRow("reverse") << QByteArray("\x1b[7mx") << dfg << dbg << false << false << true;
        QTest::newRow("reset") << QByteArray("\x1b[1;4;7;38;2;1;2;3m\x1b[0mx") << dfg << dbg << false << false << false;
    }
    void colorsAndAttributes()
    {
        QFETCH(QByteArray, input);
        QFETCH(QColor, fg);
        QFETCH(QColor, bg);
        QFETCH(bool, bold);
        QFETCH(bool, underline);
        QFETCH(bool, reverse);
        TerminalModel model(4, 10, 100);
        model.feed(input);
        const TerminalModel::Cell c = model.cell(0, 0);
        QCOMPARE(c.text, "x");
        QCOMPARE(c.fg, fg);
        QCOMPARE(c.bg, bg);
        QCOMPARE(c.bold, bold);
        QCOMPARE(c.underline, underline);
        QCOMPARE(c.reverse, reverse);
    }

    void sixteenColorsAreDistinct()
    {
        TerminalModel model(2, 20, 0);
        QByteArray input;
        for (int i = 0; i < 8; ++i) input += QByteArray("\x1b[3") + char('0' + i) + "mx";
        for (int i = 0; i < 8; ++i) input += QByteArray("\x1b[9") + char('0' + i) + "mx";
        model.feed(input);
        QSet<QRgb> colours;
        for (int col = 0; col < 16; ++col) colours.insert(model.cell(0, col).fg.rgb());
        QCOMPARE(colours.size(), 16);
        QCOMPARE(model.cell(0, 1).fg.red() > model.cell(0, 1).fg.green(), true);  // 31: red
    }

    void greyRampIsGreyAndRising()
    {
        TerminalModel model(2, 30, 0);
        QByteArray input;
        for (int i = 232; i < 256; ++i) input += "\x1b[48;5;" + QByteArray::number(i) + "mx";
        model.feed(input);
        int previous = -1;
        for (int col = 0; col < 24; ++col) {
            const QColor c = model.cell(0, col).bg;
            QVERIFY(c.red() == c.green() && c.green() == c.blue());
            QVERIFY(c.red() > previous);
            previous = c.red();
        }
    }

    void scrollbackKeepsWhatScrolledOff()
    {
        TerminalModel model(3, 10, 5);
        for (int i = 0; i < 10; ++i) model.feed(QStringLiteral("line%1\r\n").arg(i).toUtf8());
        // 10 lines and an empty last one on a 3-row screen: 8 scrolled off, 5 kept.
        QCOMPARE(model.scrollbackCount(), 5);
        QCOMPARE(model.scrollbackLineText(0), "line3");
        QCOMPARE(model.scrollbackLineText(4), "line7");
        QCOMPARE(model.screenText(), "line8\nline9");
        QCOMPARE(model.totalLines(), 8);
        QCOMPARE(model.cellAt(0, 4).text, "3");
        // Colour survives the trip into scrollback.
        TerminalModel coloured(2, 10, 5);
        coloured.feed("\x1b[38;2;1;2;3mc\x1b[0m\r\nx\r\ny");
        QCOMPARE(coloured.scrollbackCell(0, 0).fg, QColor(1, 2, 3));
    }

    void resizeKeepsContent()
    {
        TerminalModel model(3, 10, 50);
        model.feed("a\r\nb\r\nc\r\nd\r\ne");
        QCOMPARE(model.scrollbackCount(), 2);
        // Taller: lines come back from scrollback.
        model.resize(5, 10);
        QCOMPARE(model.rows(), 5);
        QCOMPARE(model.scrollbackCount(), 0);
        QCOMPARE(model.screenText(), "a\nb\nc\nd\ne");
        // Shorter again: they go back.
        model.resize(2, 20);
        QCOMPARE(model.cols(), 20);
        QCOMPARE(model.screenText(), "d\ne");
        QCOMPARE(model.scrollbackLineText(0), "a");
    }

    void keys_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<int>("modifiers");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("letter") << int(Qt::Key_A) << 0 << "a" << QByteArray("a");
        QTest::newRow("shifted letter") << int(Qt::Key_A) << int(Qt::ShiftModifier) << "A" << QByteArray("A");
        QTest::newRow("enter") << int(Qt::Key_Return) << 0 << "\r" << QByteArray("\r");
        QTest::newRow("backspace") << int(Qt::Key_Backspace) << 0 << "\b" << QByteArray("\x7f");
        QTest::newRow("tab") << int(Qt::Key_Tab) << 0 << "\t" << QByteArray("\t");
        QTest::newRow("escape") << int(Qt::Key_Escape) << 0 << "\x1b" << QByteArray("\x1b");
        QTest::newRow("up") << int(Qt::Key_Up) << 0 << "" << QByteArray("\x1b[A");
        QTest::newRow("left") << int(Qt::Key_Left) << 0 << "" << QByteArray("\x1b[D");
        QTest::newRow("ctrl+c") << int(Qt::Key_C) << int(Qt::ControlModifier) << "\x03" << QByteArray("\x03");
        QTest::newRow("ctrl+d") << int(Qt::Key_D) << int(Qt::ControlModifier) << "\x04" << QByteArray("\x04");
        QTest::newRow("alt+x") << int(Qt::Key_X) << int(Qt::AltModifier) << "x" << QByteArray("\x1bx");
        QTest::newRow("F1") << int(Qt::Key_F1) << 0 << "" << QByteArray("\x1bOP");
        QTest::newRow("delete") << int(Qt::Key_Delete) << 0 << "" << QByteArray("\x1b[3~");
        QTest::newRow("euro sign") << int(Qt::Key_unknown) << 0 << QString::fromUtf8("€") << QByteArray("\xe2\x82\xac");
        QTest::newRow("shift alone") << int(Qt::Key_Shift) << int(Qt::ShiftModifier) << "" << QByteArray();
    }
    void keys()
    {
        QFETCH(int, key);
        QFETCH(int, modifiers);
        QFETCH(QString, text);
        QFETCH(QByteArray, bytes);
        TerminalModel model;
        QByteArray out;
        connect(&model, &TerminalModel::outputReady, this, [&](const QByteArray& b) { out += b; });
        model.sendKey(key, Qt::KeyboardModifiers(modifiers), text);
        QCOMPARE(out, bytes);
    }

    void applicationCursorKeys()
    {
        TerminalModel model;
        QByteArray out;
        connect(&model, &TerminalModel::outputReady, this, [&](const QByteArray& b) { out += b; });
        model.feed("\x1b[?1h");  // DECCKM, as vi and less set it
        model.sendKey(Qt::Key_Up, Qt::NoModifier);
        QCOMPARE(out, QByteArray("\x1bOA"));
    }

    void pasteIsBracketedOnlyWhenAsked()
    {
        TerminalModel model;
        QByteArray out;
        connect(&model, &TerminalModel::outputReady, this, [&](const QByteArray& b) { out += b; });
        model.paste("ls\n");
        QCOMPARE(out, QByteArray("ls\r"));
        out.clear();
        model.feed("\x1b[?2004h");
        model.paste("ls\n");
        QCOMPARE(out, QByteArray("\x1b[200~ls\r\x1b[201~"));
    }

    void answersTheGuestsQuestions()
    {
        TerminalModel model(24, 80);
        QByteArray out;
        connect(&model, &TerminalModel::outputReady, this, [&](const QByteArray& b) { out += b; });
        model.feed("\x1b[5;7H\x1b[6n");  // where is the cursor? (resize(1) asks this)
        QCOMPARE(out, QByteArray("\x1b[5;7R"));
    }

    void selectionAcrossLines()
    {
        TerminalModel model(3, 10, 10);
        model.feed("first\r\nsecond\r\nthird\r\nfourth");
        // Lines: 0 "first" (scrollback), 1 "second", 2 "third", 3 "fourth".
        QCOMPARE(model.selectedText(QPoint(2, 0), QPoint(2, 2)), "rst\nsecond\nthi");
        QCOMPARE(model.selectedText(QPoint(2, 2), QPoint(2, 0)), "rst\nsecond\nthi");  // dragged upwards
        QCOMPARE(model.selectedText(QPoint(0, 3), QPoint(9, 3)), "fourth");
    }

    void titleAndBell()
    {
        TerminalModel model;
        QSignalSpy title(&model, &TerminalModel::titleChanged);
        QSignalSpy bell(&model, &TerminalModel::bell);
        model.feed("\x1b]2;guest shell\x07\x07");
        QCOMPARE(title.size(), 1);
        QCOMPARE(model.title(), "guest shell");
        QCOMPARE(bell.size(), 1);
    }

    void garbageDoesNotBreakIt()
    {
        TerminalModel model(4, 10, 10);
        QByteArray noise;
        for (int i = 0; i < 4096; ++i) noise += char((i * 7919) & 0xff);
        model.feed(noise);
        model.feed("\x1b[0m\x1b[2J\x1b[Hok");
        QCOMPARE(model.lineText(0), "ok");
    }
};

QTEST_MAIN(TestTerminalModel)
#include "tst_terminal_model.moc"
