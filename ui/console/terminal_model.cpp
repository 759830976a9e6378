#include "console/terminal_model.h"

#include <QStringList>

#include <vterm.h>

namespace hf::ui {

namespace {

constexpr quint8 attrBold = 1, attrUnderline = 2, attrItalic = 4, attrReverse = 8;

VTermModifier modifiersOf(Qt::KeyboardModifiers m)
{
    int out = VTERM_MOD_NONE;
    if (m & Qt::ShiftModifier) out |= VTERM_MOD_SHIFT;
    if (m & Qt::AltModifier) out |= VTERM_MOD_ALT;
    if (m & Qt::ControlModifier) out |= VTERM_MOD_CTRL;
    return static_cast<VTermModifier>(out);
}

VTermKey vtermKeyOf(int qtKey)
{
    switch (qtKey) {
    case Qt::Key_Return:
    case Qt::Key_Enter: return VTERM_KEY_ENTER;
    case Qt::Key_Tab:
    case Qt::Key_Backtab: return VTERM_KEY_TAB;
    case Qt::Key_Backspace: return VTERM_KEY_BACKSPACE;
    case Qt::Key_Escape: return VTERM_KEY_ESCAPE;
    case Qt::Key_Up: return VTERM_KEY_UP;
    case Qt::Key_Down: return VTERM_KEY_DOWN;
    case Qt::Key_Left: return VTERM_KEY_LEFT;
    case Qt::Key_Right: return VTERM_KEY_RIGHT;
    case Qt::Key_Insert: return VTERM_KEY_INS;
    case Qt::Key_Delete: return VTERM_KEY_DEL;
    case Qt::Key_Home: return VTERM_KEY_HOME;
    case Qt::Key_End: return VTERM_KEY_END;
    case Qt::Key_PageUp: return VTERM_KEY_PAGEUP;
    case Qt::Key_PageDown: return VTERM_KEY_PAGEDOWN;
    default:
        if (qtKey >= Qt::Key_F1 && qtKey <= Qt::Key_F12) return static_cast<VTermKey>(VTERM_KEY_FUNCTION(qtKey - Qt::Key_F1 + 1));
        return VTERM_KEY_NONE;
    }
}

}  // namespace

// libvterm calls these with the model as `user`.
struct TerminalCallbacks {
    static TerminalModel* model(void* user) { return static_cast<TerminalModel*>(user); }

    static TerminalModel::StoredCell store(const TerminalModel* m, const VTermScreenCell& c)
    {
        TerminalModel::StoredCell s;
        if (c.chars[0] == static_cast<uint32_t>(-1)) {  // libvterm's mark for a wide character's second column
            s.width = 0;
            return s;
        }
        s.chars[0] = c.chars[0];
        s.chars[1] = c.chars[0] ? c.chars[1] : 0;
        s.width = static_cast<qint8>(c.width);
        s.attrs = static_cast<quint8>((c.attrs.bold ? attrBold : 0) | (c.attrs.underline ? attrUnderline : 0) |
                                      (c.attrs.italic ? attrItalic : 0) | (c.attrs.reverse ? attrReverse : 0));
        VTermColor fg = c.fg, bg = c.bg;
        s.defaultFg = VTERM_COLOR_IS_DEFAULT_FG(&fg);
        s.defaultBg = VTERM_COLOR_IS_DEFAULT_BG(&bg);
        vterm_screen_convert_color_to_rgb(m->m_screen, &fg);
        vterm_screen_convert_color_to_rgb(m->m_screen, &bg);
        s.fg = qRgb(fg.rgb.red, fg.rgb.green, fg.rgb.blue);
        s.bg = qRgb(bg.rgb.red, bg.rgb.green, bg.rgb.blue);
        return s;
    }

    static int damage(VTermRect, void* user)
    {
        model(user)->m_changed = true;
        return 1;
    }
    static int moveCursor(VTermPos pos, VTermPos, int visible, void* user)
    {
        TerminalModel* m = model(user);
        m->m_cursor = QPoint(pos.col, pos.row);
        m->m_cursorVisible = visible;
        m->m_changed = true;
        return 1;
    }
    static int setTermProp(VTermProp prop, VTermValue* value, void* user)
    {
        TerminalModel* m = model(user);
        switch (prop) {
        case VTERM_PROP_CURSORVISIBLE: m->m_cursorVisible = value->boolean; break;
        case VTERM_PROP_ALTSCREEN: m->m_altScreen = value->boolean; break;
        case VTERM_PROP_TITLE:
            m->m_title = QString::fromUtf8(value->string);
            Q_EMIT m->titleChanged(m->m_title);
            break;
        default: break;
        }
        m->m_changed = true;
        return 1;
    }
    static int bell(void* user)
    {
        Q_EMIT model(user)->bell();
        return 1;
    }
    static int pushLine(int cols, const VTermScreenCell* cells, void* user)
    {
        TerminalModel* m = model(user);
        if (m->m_scrollbackLimit == 0) return 1;
        // Trailing blanks are not stored: most console lines are short.
        int used = cols;
        while (used > 0 && cells[used - 1].chars[0] == 0 && VTERM_COLOR_IS_DEFAULT_BG(&cells[used - 1].bg)) --used;
        TerminalModel::StoredLine line;
        line.reserve(static_cast<size_t>(used));
        for (int i = 0; i < used; ++i) line.push_back(store(m, cells[i]));
        m->m_scrollback.push_back(std::move(line));
        if (m->m_scrollback.size() > m->m_scrollbackLimit) m->m_scrollback.pop_front();
        m->m_changed = true;
        return 1;
    }
    static int popLine(int cols, VTermScreenCell* cells, void* user)
    {
        TerminalModel* m = model(user);
        if (m->m_scrollback.empty()) return 0;
        const TerminalModel::StoredLine line = std::move(m->m_scrollback.back());
        m->m_scrollback.pop_back();
        for (int i = 0; i < cols; ++i) {
            VTermScreenCell& c = cells[i];
            c = VTermScreenCell{};
            vterm_color_rgb(&c.fg, 0, 0, 0);
            vterm_color_rgb(&c.bg, 0, 0, 0);
            c.fg.type |= VTERM_COLOR_DEFAULT_FG;
            c.bg.type |= VTERM_COLOR_DEFAULT_BG;
            c.width = 1;
            if (i >= static_cast<int>(line.size()) || line[static_cast<size_t>(i)].width == 0) continue;
            const TerminalModel::StoredCell& s = line[static_cast<size_t>(i)];
            c.chars[0] = s.chars[0];
            c.chars[1] = s.chars[1];
            c.width = s.width;
            c.attrs.bold = (s.attrs & attrBold) != 0;
            c.attrs.underline = (s.attrs & attrUnderline) != 0;
            c.attrs.italic = (s.attrs & attrItalic) != 0;
            c.attrs.reverse = (s.attrs & attrReverse) != 0;
            if (!s.defaultFg) vterm_color_rgb(&c.fg, qRed(s.fg), qGreen(s.fg), qBlue(s.fg));
            if (!s.defaultBg) vterm_color_rgb(&c.bg, qRed(s.bg), qGreen(s.bg), qBlue(s.bg));
        }
        m->m_changed = true;
        return 1;
    }
    static void output(const char* bytes, size_t len, void* user)
    {
        model(user)->m_output.append(bytes, static_cast<qsizetype>(len));
    }

    static constexpr VTermScreenCallbacks screen{damage, nullptr, moveCursor, setTermProp, bell, nullptr, pushLine, popLine};
};

TerminalModel::TerminalModel(int rows, int cols, int scrollbackLines, QObject* parent)
    : QObject(parent),
      m_vt(vterm_new(rows, cols)),
      m_screen(vterm_obtain_screen(m_vt)),
      m_state(vterm_obtain_state(m_vt)),
      m_rows(rows),
      m_cols(cols),
      m_scrollbackLimit(static_cast<size_t>(std::max(0, scrollbackLines)))
{
    vterm_set_utf8(m_vt, 1);
    vterm_output_set_callback(m_vt, &TerminalCallbacks::output, this);
    vterm_screen_set_callbacks(m_screen, &TerminalCallbacks::screen, this);
    vterm_screen_set_damage_merge(m_screen, VTERM_DAMAGE_SCROLL);
    vterm_screen_enable_altscreen(m_screen, 1);
    vterm_screen_reset(m_screen, 1);
    setDefaultColors(m_defaultFg, m_defaultBg);
}

TerminalModel::~TerminalModel() { vterm_free(m_vt); }

void TerminalModel::setDefaultColors(const QColor& fg, const QColor& bg)
{
    m_defaultFg = fg;
    m_defaultBg = bg;
    VTermColor f, b;
    vterm_color_rgb(&f, static_cast<uint8_t>(fg.red()), static_cast<uint8_t>(fg.green()), static_cast<uint8_t>(fg.blue()));
    vterm_color_rgb(&b, static_cast<uint8_t>(bg.red()), static_cast<uint8_t>(bg.green()), static_cast<uint8_t>(bg.blue()));
    vterm_state_set_default_colors(m_state, &f, &b);
    Q_EMIT changed();
}

void TerminalModel::feed(QByteArrayView bytes)
{
    if (bytes.isEmpty()) return;
    vterm_input_write(m_vt, bytes.data(), static_cast<size_t>(bytes.size()));
    settle();
}

void TerminalModel::settle()
{
    vterm_screen_flush_damage(m_screen);
    // The guest may have asked something (cursor position, device attributes): answer it.
    flushOutput();
    if (m_changed) {
        m_changed = false;
        Q_EMIT changed();
    }
}

void TerminalModel::resize(int rows, int cols)
{
    rows = std::max(1, rows);
    cols = std::max(1, cols);
    if (rows == m_rows && cols == m_cols) return;
    m_rows = rows;
    m_cols = cols;
    vterm_set_size(m_vt, rows, cols);
    m_changed = true;
    settle();
}

void TerminalModel::flushOutput()
{
    if (m_output.isEmpty()) return;
    const QByteArray out = std::exchange(m_output, {});
    Q_EMIT outputReady(out);
}

TerminalModel::Cell TerminalModel::toCell(const StoredCell& s) const
{
    Cell c;
    if (s.chars[0]) {
        c.text = QString::fromUcs4(s.chars, s.chars[1] ? 2 : 1);
    }
    c.width = s.width;
    c.bold = s.attrs & attrBold;
    c.underline = s.attrs & attrUnderline;
    c.italic = s.attrs & attrItalic;
    c.reverse = s.attrs & attrReverse;
    c.fg = s.defaultFg ? m_defaultFg : QColor(s.fg);
    c.bg = s.defaultBg ? m_defaultBg : QColor(s.bg);
    return c;
}

TerminalModel::Cell TerminalModel::cell(int row, int col) const
{
    if (row < 0 || row >= m_rows || col < 0 || col >= m_cols) return toCell(StoredCell{});
    VTermScreenCell c;
    vterm_screen_get_cell(m_screen, VTermPos{row, col}, &c);
    return toCell(TerminalCallbacks::store(this, c));
}

TerminalModel::Cell TerminalModel::scrollbackCell(int index, int col) const
{
    if (index < 0 || index >= scrollbackCount()) return toCell(StoredCell{});
    const StoredLine& line = m_scrollback[static_cast<size_t>(index)];
    return col >= 0 && col < static_cast<int>(line.size()) ? toCell(line[static_cast<size_t>(col)]) : toCell(StoredCell{});
}

TerminalModel::Cell TerminalModel::cellAt(int line, int col) const
{
    return line < scrollbackCount() ? scrollbackCell(line, col) : cell(line - scrollbackCount(), col);
}

QString TerminalModel::textOf(int line, int firstCol, int lastCol) const
{
    QString text;
    for (int col = std::max(0, firstCol); col <= lastCol; ++col) {
        const Cell c = cellAt(line, col);
        if (c.width == 0) continue;  // the second half of a wide character
        text += c.text.isEmpty() ? QStringLiteral(" ") : c.text;
    }
    while (text.endsWith(' ')) text.chop(1);
    return text;
}

QString TerminalModel::lineTextOf(int line) const
{
    // Scrollback lines are stored without their trailing blanks.
    const int width = line < scrollbackCount() ? static_cast<int>(m_scrollback[static_cast<size_t>(line)].size()) : m_cols;
    return textOf(line, 0, width - 1);
}

QString TerminalModel::lineText(int row) const { return lineTextOf(scrollbackCount() + row); }

QString TerminalModel::scrollbackLineText(int index) const
{
    return index >= 0 && index < scrollbackCount() ? lineTextOf(index) : QString();
}

QString TerminalModel::screenText() const
{
    QStringList lines;
    for (int r = 0; r < m_rows; ++r) lines.append(lineText(r));
    while (!lines.isEmpty() && lines.last().isEmpty()) lines.removeLast();
    return lines.join('\n');
}

QString TerminalModel::selectedText(QPoint from, QPoint to) const
{
    if (to.y() < from.y() || (to.y() == from.y() && to.x() < from.x())) std::swap(from, to);
    from.setY(std::clamp(from.y(), 0, totalLines() - 1));
    to.setY(std::clamp(to.y(), 0, totalLines() - 1));
    QStringList lines;
    for (int line = from.y(); line <= to.y(); ++line)
        lines.append(textOf(line, line == from.y() ? from.x() : 0, line == to.y() ? std::min(to.x(), m_cols - 1) : m_cols - 1));
    return lines.join('\n');
}

void TerminalModel::sendKey(int qtKey, Qt::KeyboardModifiers modifiers, const QString& text)
{
    const VTermModifier mod = modifiersOf(modifiers);
    if (const VTermKey key = vtermKeyOf(qtKey); key != VTERM_KEY_NONE) {
        vterm_keyboard_key(m_vt, key, static_cast<VTermModifier>(qtKey == Qt::Key_Backtab ? mod | VTERM_MOD_SHIFT : mod));
    } else if ((modifiers & Qt::ControlModifier) && ((qtKey >= Qt::Key_At && qtKey <= Qt::Key_Underscore) || qtKey == Qt::Key_Space)) {
        // Ctrl+letter, Ctrl+[ \ ] ^ _ @ and Ctrl+Space: the C0 control a
        // terminal sends (Ctrl+I is Tab, Ctrl+M Enter: a serial guest knows
        // no CSI u). Alt still adds its ESC prefix.
        const uint32_t c0 = qtKey == Qt::Key_Space ? 0 : static_cast<uint32_t>(qtKey) & 0x1f;
        vterm_keyboard_unichar(m_vt, c0, static_cast<VTermModifier>(mod & VTERM_MOD_ALT));
    } else if (!text.isEmpty()) {
        // The text already carries Shift; Alt becomes an ESC prefix.
        const VTermModifier textMod = static_cast<VTermModifier>(mod & ~(VTERM_MOD_SHIFT | VTERM_MOD_CTRL));
        for (const uint c : text.toUcs4()) vterm_keyboard_unichar(m_vt, c, textMod);
    }
    flushOutput();
}

void TerminalModel::sendText(const QString& text)
{
    for (const uint c : text.toUcs4()) {
        if (c == '\n' || c == '\r')
            vterm_keyboard_key(m_vt, VTERM_KEY_ENTER, VTERM_MOD_NONE);
        else
            vterm_keyboard_unichar(m_vt, c, VTERM_MOD_NONE);
    }
    flushOutput();
}

void TerminalModel::paste(const QString& text)
{
    vterm_keyboard_start_paste(m_vt);  // emits ESC [200~ only if the guest enabled bracketed paste
    sendText(text);
    vterm_keyboard_end_paste(m_vt);
    flushOutput();
}

}  // namespace hf::ui
