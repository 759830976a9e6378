#pragma once
// Paints a TerminalModel and turns keys, mouse selection and the clipboard
// into model calls. Knows nothing of ptys: the model's outputReady() is wired
// to a transport by whoever owns both (ConsoleWidget).
//
// A terminal owns its keys: while it has the focus every key press is the
// guest's (Ctrl+P is shell history, Ctrl+R reverse search, Alt+F a word
// forward), taken before the window's shortcuts and menu mnemonics, as
// Konsole's TerminalDisplay does by accepting QEvent::ShortcutOverride.
#include <QAbstractScrollArea>
#include <QPoint>

namespace hf::ui {

class TerminalModel;

class TerminalView : public QAbstractScrollArea {
    Q_OBJECT
public:
    explicit TerminalView(TerminalModel* model, QWidget* parent = nullptr);

    TerminalModel* model() const { return m_model; }
    QSize cellSize() const { return m_cell; }
    // The first line shown, in the model's scrollback+screen numbering.
    int firstVisibleLine() const;
    bool hasSelection() const { return m_hasSelection; }
    QString selectedText() const;
    void selectAll();
    void clearSelection();

public Q_SLOTS:
    void copy();
    void paste();

Q_SIGNALS:
    void sizeChanged(int rows, int cols);

protected:
    bool event(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    bool focusNextPrevChild(bool next) override;  // Tab belongs to the guest
    void scrollContentsBy(int dx, int dy) override;

private:
    void onModelChanged();
    void updateScrollBar();
    void fitModelToViewport();
    QPoint cellAt(const QPoint& pixel) const;  // x = column, y = model line
    bool isSelected(int line, int col) const;

    TerminalModel* m_model;
    QSize m_cell;
    bool m_followOutput = true;
    bool m_hasSelection = false;
    bool m_selecting = false;
    QPoint m_selectionStart;
    QPoint m_selectionEnd;
};

}  // namespace hf::ui
