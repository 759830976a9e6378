#include "dialogs/help_dialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>

namespace hf::ui {

QString documentationPath()
{
    for (const QString& dir : {QStringLiteral(HYPERFORK_DOCS_DIR), QStringLiteral("/usr/share/doc/hyperfork")}) {
        const QString path = dir + QStringLiteral("/desktop-app.md");
        if (QFileInfo::exists(path)) return path;
    }
    return {};
}

HelpDialog::HelpDialog(QWidget* parent) : QDialog(parent), m_browser(new QTextBrowser(this))
{
    setAttribute(Qt::WA_DeleteOnClose);
    m_browser->setOpenExternalLinks(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_browser, 1);
    layout->addWidget(buttons);
}

HelpDialog* HelpDialog::documentation(QWidget* parent, const QString& path)
{
    auto* dialog = new HelpDialog(parent);
    dialog->setObjectName("documentationDialog");
    dialog->setWindowTitle(tr("HyperFork Documentation"));
    dialog->resize(900, 700);
    const QString file = path.isEmpty() ? documentationPath() : path;
    if (file.isEmpty())
        dialog->m_browser->setMarkdown(tr("The documentation (`docs/desktop-app.md`) was not found next to this build."));
    else
        dialog->m_browser->setSource(QUrl::fromLocalFile(file), QTextDocument::MarkdownResource);
    return dialog;
}

HelpDialog* HelpDialog::shortcuts(QWidget* parent, const QList<QAction*>& actions)
{
    auto* dialog = new HelpDialog(parent);
    dialog->setObjectName("shortcutsDialog");
    dialog->setWindowTitle(tr("Keyboard Shortcuts"));
    dialog->resize(520, 560);
    QString html = QStringLiteral("<table cellpadding='3'>");
    for (const QAction* a : actions) {
        if (a->shortcuts().isEmpty()) continue;
        QStringList keys;
        for (const QKeySequence& k : a->shortcuts()) keys << k.toString(QKeySequence::NativeText).toHtmlEscaped();
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                    .arg(keys.join(QStringLiteral(", ")), QString(a->text()).remove('&').toHtmlEscaped());
    }
    html += QStringLiteral("</table>");
    html += tr("<h4>In a console</h4>"
               "<p>Every key goes to the guest while a console has the focus: Ctrl+C, Ctrl+R, Ctrl+P, the arrows, "
               "Tab. The shortcuts above work when the console does not have the focus (click the VM list). "
               "<b>VM &gt; Send Key</b> sends what the desktop keeps for itself, such as Ctrl+Alt+Del.</p>"
               "<table cellpadding='3'>"
               "<tr><td><b>Ctrl+Shift+C</b>, <b>Ctrl+Shift+V</b></td><td>copy, paste</td></tr>"
               "<tr><td><b>Shift+PgUp</b>, <b>Shift+PgDown</b></td><td>scroll back, forward</td></tr>"
               "<tr><td>middle click</td><td>paste the selection</td></tr></table>"
               "<h4>In the Templates list</h4>"
               "<table cellpadding='3'>"
               "<tr><td><b>Enter</b>, double click</td><td>Start Clone of the selected template</td></tr>"
               "<tr><td><b>Del</b></td><td>Delete the selected template (asks first)</td></tr>"
               "<tr><td><b>F5</b></td><td>Refresh the list</td></tr>"
               "<tr><td><b>Menu</b>, right click</td><td>its actions</td></tr></table>");
    dialog->m_browser->setHtml(html);
    return dialog;
}

}  // namespace hf::ui
