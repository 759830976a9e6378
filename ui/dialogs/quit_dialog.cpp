#include "dialogs/quit_dialog.h"

#include "backend/display_text.h"

#include <QPushButton>

namespace hf::ui {

QuitDialog::QuitDialog(int running, bool sandboxed, QWidget* parent) : QMessageBox(parent)
{
    setObjectName("quitDialog");
    setWindowTitle(tr("Quit HyperFork"));
    const QString vms = countText(running, tr("VM"), tr("VMs"));
    const QString are = running == 1 ? tr("is") : tr("are");
    QPushButton* cancel = addButton(QMessageBox::Cancel);
    setEscapeButton(cancel);
    if (sandboxed) {
        setIcon(QMessageBox::Warning);
        setText(tr("%1 %2 running inside the KVM sandbox.").arg(vms, are));
        setInformativeText(tr("The sandbox (scripts/run) ends with HyperFork, so quitting stops them; "
                              "they cannot keep running without it."));
        m_stop = addButton(tr("&Stop VMs and Quit"), QMessageBox::DestructiveRole);
        setDefaultButton(cancel);
        return;
    }
    setIcon(QMessageBox::Question);
    setText(tr("%1 %2 running.").arg(vms, are));
    setInformativeText(tr("They keep running when HyperFork closes, and it finds them again when it starts "
                          "(hyperforkd keeps them). Stop them instead?"));
    m_stop = addButton(tr("&Stop VMs and Quit"), QMessageBox::DestructiveRole);
    m_keep = addButton(tr("&Keep Running and Quit"), QMessageBox::AcceptRole);
    setDefaultButton(static_cast<QPushButton*>(m_keep));
}

QuitDialog::Choice QuitDialog::choice() const
{
    if (clickedButton() && clickedButton() == m_keep) return Choice::KeepRunning;
    if (clickedButton() && clickedButton() == m_stop) return Choice::StopVms;
    return Choice::Cancel;
}

}  // namespace hf::ui
