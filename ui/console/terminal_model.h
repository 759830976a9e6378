#pragma once
// A terminal screen without a widget: libvterm parses what the guest writes
// (feed), keeps the screen, and this class keeps the lines that scrolled off
// (scrollback) and turns keys into the bytes a terminal would send
// (outputReady). Tested without any view; TerminalView paints it.
#include <QColor>
#include <QObject>
#include <QPoint>
#include <QString>

#include <deque>
#include <vector>

struct VTerm;
struct VTermScreen;
struct VTermState;

namespace hf::ui {

class TerminalModel : public QObject {
    Q_OBJECT
public:
    struct Cell {
        QString text;  // empty: blank
        QColor fg;
        QColor bg;
        bool bold = false;
        bool underline = false;
        bool italic = false;
        bool reverse = false;
        int width = 1;  // 2 for the first half of a wide character, 0 for its second half
    };

    explicit TerminalModel(int rows = 24, int cols = 80, int scrollbackLines = 5000, QObject* parent = nullptr);
    ~TerminalModel() override;
    TerminalModel(const TerminalModel&) = delete;
    TerminalModel& operator=(const TerminalModel&) = delete;

    // Bytes from the guest: UTF-8 text and escape sequences.
    void feed(QByteArrayView bytes);
    void resize(int rows, int cols);
    int rows() const { return m_rows; }
    int cols() const { return m_cols; }

    // The visible screen.
    Cell cell(int row, int col) const;
    QString lineText(int row) const;  // trailing blanks trimmed
    QString screenText() const;       // every screen line, '\n'-joined, trailing blank lines dropped
    QPoint cursor() const { return m_cursor; }  // x = column, y = row
    bool cursorVisible() const { return m_cursorVisible; }
    bool altScreen() const { return m_altScreen; }

    // Lines that scrolled off the top, oldest first.
    int scrollbackCount() const { return static_cast<int>(m_scrollback.size()); }
    QString scrollbackLineText(int index) const;
    Cell scrollbackCell(int index, int col) const;

    // Scrollback and screen as one list: lines 0..scrollbackCount()-1 are
    // scrollback, then the screen's rows.
    int totalLines() const { return scrollbackCount() + m_rows; }
    Cell cellAt(int line, int col) const;
    // The text from `from` to `to` (x = column, y = line as above), inclusive,
    // lines joined with '\n' and their trailing blanks dropped.
    QString selectedText(QPoint from, QPoint to) const;

    // Keyboard: the bytes go out through outputReady().
    void sendKey(int qtKey, Qt::KeyboardModifiers modifiers, const QString& text = {});
    void sendText(const QString& text);
    // Bracketed when the guest asked for it (ESC [ ? 2004 h).
    void paste(const QString& text);

    void setDefaultColors(const QColor& fg, const QColor& bg);
    QColor defaultForeground() const { return m_defaultFg; }
    QColor defaultBackground() const { return m_defaultBg; }
    QString title() const { return m_title; }

Q_SIGNALS:
    // The screen, cursor or scrollback changed; one signal per feed()/resize().
    void changed();
    void outputReady(const QByteArray& bytes);
    void bell();
    void titleChanged(const QString& title);

private:
    struct StoredCell {
        char32_t chars[2] = {0, 0};  // a base character and one combining mark is plenty for a console
        qint8 width = 1;
        quint8 attrs = 0;  // bit 0 bold, 1 underline, 2 italic, 3 reverse
        QRgb fg = 0;
        QRgb bg = 0;
        bool defaultFg = true;
        bool defaultBg = true;
    };
    using StoredLine = std::vector<StoredCell>;

    friend struct TerminalCallbacks;  // libvterm's callbacks, in the .cpp (its types stay there)

    Cell toCell(const StoredCell& cell) const;
    QString lineTextOf(int line) const;
    QString textOf(int line, int firstCol, int lastCol) const;  // trailing blanks dropped
    void flushOutput();
    void settle();

    VTerm* m_vt;
    VTermScreen* m_screen;
    VTermState* m_state;
    int m_rows;
    int m_cols;
    size_t m_scrollbackLimit;
    std::deque<StoredLine> m_scrollback;
    QPoint m_cursor;
    bool m_cursorVisible = true;
    bool m_altScreen = false;
    bool m_changed = false;
    QByteArray m_output;
    QColor m_defaultFg{0xd0, 0xd0, 0xd0};
    QColor m_defaultBg{0x1e, 0x1e, 0x1e};
    QString m_title;
};

}  // namespace hf::ui
