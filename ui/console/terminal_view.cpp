#include "console/terminal_view.h"

#include "console/terminal_model.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QFontDatabase>
#include <QMenu>
#include <QPainter>
#include <QScrollBar>

namespace hf::ui {

TerminalView::TerminalView(TerminalModel* model, QWidget* parent) : QAbstractScrollArea(parent), m_model(model)
{
    QFont font = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    font.setStyleHint(QFont::TypeWriter);
    setFont(font);
    const QFontMetrics metrics(font);
    m_cell = QSize(std::max(1, metrics.horizontalAdvance(QLatin1Char('M'))), std::max(1, metrics.height()));
    setFocusPolicy(Qt::StrongFocus);
    setAttribute(Qt::WA_InputMethodEnabled);
    viewport()->setCursor(Qt::IBeamCursor);
    verticalScrollBar()->setSingleStep(1);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    connect(m_model, &TerminalModel::changed, this, &TerminalView::onModelChanged);
    updateScrollBar();
}

int TerminalView::firstVisibleLine() const { return verticalScrollBar()->value(); }

void TerminalView::updateScrollBar()
{
    QScrollBar* bar = verticalScrollBar();
    const QSignalBlocker block(bar);
    bar->setRange(0, m_model->scrollbackCount());
    bar->setPageStep(m_model->rows());
    if (m_followOutput) bar->setValue(bar->maximum());
}

void TerminalView::onModelChanged()
{
    updateScrollBar();
    viewport()->update();  // coalesced by Qt into one paint per event-loop turn
}

void TerminalView::scrollContentsBy(int, int)
{
    m_followOutput = verticalScrollBar()->value() == verticalScrollBar()->maximum();
    viewport()->update();
}

void TerminalView::fitModelToViewport()
{
    const int cols = std::max(2, viewport()->width() / m_cell.width());
    const int rows = std::max(1, viewport()->height() / m_cell.height());
    if (rows == m_model->rows() && cols == m_model->cols()) return;
    m_model->resize(rows, cols);
    Q_EMIT sizeChanged(rows, cols);
}

void TerminalView::resizeEvent(QResizeEvent* event)
{
    QAbstractScrollArea::resizeEvent(event);
    fitModelToViewport();
    updateScrollBar();
}

bool TerminalView::isSelected(int line, int col) const
{
    if (!m_hasSelection) return false;
    QPoint a = m_selectionStart, b = m_selectionEnd;
    if (b.y() < a.y() || (b.y() == a.y() && b.x() < a.x())) std::swap(a, b);
    if (line < a.y() || line > b.y()) return false;
    if (line == a.y() && col < a.x()) return false;
    if (line == b.y() && col > b.x()) return false;
    return true;
}

void TerminalView::paintEvent(QPaintEvent*)
{
    QPainter p(viewport());
    p.fillRect(viewport()->rect(), m_model->defaultBackground());
    const QFontMetrics metrics(font());
    const int first = firstVisibleLine();
    const int visibleRows = viewport()->height() / m_cell.height() + 1;
    const QColor selection = palette().color(QPalette::Highlight);
    for (int r = 0; r < visibleRows && first + r < m_model->totalLines(); ++r) {
        const int line = first + r;
        const int y = r * m_cell.height();
        for (int col = 0; col < m_model->cols(); ++col) {
            const TerminalModel::Cell c = m_model->cellAt(line, col);
            if (c.width == 0) continue;
            QColor fg = c.fg, bg = c.bg;
            if (c.reverse) std::swap(fg, bg);
            if (isSelected(line, col)) bg = selection;
            const QRect rect(col * m_cell.width(), y, m_cell.width() * std::max(1, c.width), m_cell.height());
            if (bg != m_model->defaultBackground()) p.fillRect(rect, bg);
            if (c.text.isEmpty() || c.text == QLatin1String(" ")) continue;
            QFont f = font();
            f.setBold(c.bold);
            f.setItalic(c.italic);
            f.setUnderline(c.underline);
            p.setFont(f);
            p.setPen(fg);
            p.drawText(rect.x(), y + metrics.ascent(), c.text);
        }
    }
    // The cursor: a block on the screen's cursor cell, hollow without focus.
    const int cursorLine = m_model->scrollbackCount() + m_model->cursor().y();
    if (m_model->cursorVisible() && cursorLine >= first && cursorLine < first + visibleRows) {
        const QRect rect(m_model->cursor().x() * m_cell.width(), (cursorLine - first) * m_cell.height(), m_cell.width(),
                         m_cell.height());
        p.setPen(m_model->defaultForeground());
        if (hasFocus()) {
            p.setCompositionMode(QPainter::RasterOp_SourceXorDestination);
            p.fillRect(rect, QColor(Qt::white));
        } else {
            p.drawRect(rect.adjusted(0, 0, -1, -1));
        }
    }
}

bool TerminalView::event(QEvent* event)
{
    // Accepting the override makes Qt deliver the key here as a key press
    // instead of triggering a shortcut with it.
    if (event->type() == QEvent::ShortcutOverride) {
        event->accept();
        return true;
    }
    return QAbstractScrollArea::event(event);
}

void TerminalView::keyPressEvent(QKeyEvent* event)
{
    const Qt::KeyboardModifiers mods = event->modifiers();
    const bool ctrlShift = (mods & Qt::ControlModifier) && (mods & Qt::ShiftModifier);
    if (ctrlShift && event->key() == Qt::Key_C) return copy();
    if (ctrlShift && event->key() == Qt::Key_V) return paste();
    if ((mods & Qt::ShiftModifier) && (event->key() == Qt::Key_PageUp || event->key() == Qt::Key_PageDown)) {
        QScrollBar* bar = verticalScrollBar();
        bar->setValue(bar->value() + (event->key() == Qt::Key_PageUp ? -bar->pageStep() : bar->pageStep()));
        return;
    }
    // Typing brings the view back to the live screen.
    m_followOutput = true;
    verticalScrollBar()->setValue(verticalScrollBar()->maximum());
    m_model->sendKey(event->key(), mods, event->text());
}

QPoint TerminalView::cellAt(const QPoint& pixel) const
{
    const int col = std::clamp(pixel.x() / m_cell.width(), 0, m_model->cols() - 1);
    const int line = std::clamp(firstVisibleLine() + pixel.y() / m_cell.height(), 0, m_model->totalLines() - 1);
    return QPoint(col, line);
}

void TerminalView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::MiddleButton) {
        const QString text = QApplication::clipboard()->text(QClipboard::Selection);
        if (!text.isEmpty()) m_model->paste(text);
        return;
    }
    if (event->button() != Qt::LeftButton) return;
    m_selecting = true;
    m_hasSelection = false;
    m_selectionStart = m_selectionEnd = cellAt(event->position().toPoint());
    viewport()->update();
}

void TerminalView::mouseMoveEvent(QMouseEvent* event)
{
    if (!m_selecting) return;
    m_selectionEnd = cellAt(event->position().toPoint());
    m_hasSelection = m_selectionEnd != m_selectionStart;
    viewport()->update();
}

void TerminalView::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || !m_selecting) return;
    m_selecting = false;
    if (m_hasSelection && QApplication::clipboard()->supportsSelection())
        QApplication::clipboard()->setText(selectedText(), QClipboard::Selection);
}

void TerminalView::contextMenuEvent(QContextMenuEvent* event)
{
    QMenu menu(this);
    QAction* copyAction = menu.addAction(tr("&Copy"), QKeySequence(tr("Ctrl+Shift+C")), this, &TerminalView::copy);
    copyAction->setEnabled(m_hasSelection);
    menu.addAction(tr("&Paste"), QKeySequence(tr("Ctrl+Shift+V")), this, &TerminalView::paste);
    menu.addAction(tr("Select &All"), this, &TerminalView::selectAll);
    menu.exec(event->globalPos());
}

bool TerminalView::focusNextPrevChild(bool) { return false; }

QString TerminalView::selectedText() const
{
    return m_hasSelection ? m_model->selectedText(m_selectionStart, m_selectionEnd) : QString();
}

void TerminalView::selectAll()
{
    m_selectionStart = QPoint(0, 0);
    m_selectionEnd = QPoint(m_model->cols() - 1, m_model->totalLines() - 1);
    m_hasSelection = true;
    viewport()->update();
}

void TerminalView::clearSelection()
{
    m_hasSelection = false;
    viewport()->update();
}

void TerminalView::copy()
{
    if (m_hasSelection) QApplication::clipboard()->setText(selectedText());
}

void TerminalView::paste()
{
    const QString text = QApplication::clipboard()->text();
    if (!text.isEmpty()) m_model->paste(text);
}

}  // namespace hf::ui
