#pragma once
// Help: the user documentation (docs/desktop-app.md, rendered here, its
// links followed inside) and the list of keyboard shortcuts, read from the
// window's actions so it never disagrees with them.
#include <QDialog>
#include <QList>

class QAction;
class QTextBrowser;

namespace hf::ui {

// docs/desktop-app.md of this build's source tree, else the installed copy;
// empty when neither exists.
QString documentationPath();

class HelpDialog : public QDialog {
    Q_OBJECT
public:
    // The documentation; `path` empty: documentationPath().
    static HelpDialog* documentation(QWidget* parent, const QString& path = {});
    // Every action with a shortcut, and what a focused console keeps.
    static HelpDialog* shortcuts(QWidget* parent, const QList<QAction*>& actions);
    QTextBrowser* browser() const { return m_browser; }

private:
    explicit HelpDialog(QWidget* parent);
    QTextBrowser* m_browser;
};

}  // namespace hf::ui
