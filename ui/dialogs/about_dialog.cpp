#include "dialogs/about_dialog.h"

#include <QMessageBox>
#include <QSysInfo>

#include <vterm.h>

namespace hf::ui {

QString aboutText(const DaemonInfo* daemon)
{
    QString text = QObject::tr("<h3>HyperFork %1</h3>"
                               "<p>Flash-clone running KVM virtual machines with <tt>fork()</tt>.</p>"
                               "<p>Qt %2 (built with %3), libvterm %4.%5, %6</p>")
                       .arg(HYPERFORK_VERSION, qVersion(), QT_VERSION_STR)
                       .arg(VTERM_VERSION_MAJOR)
                       .arg(VTERM_VERSION_MINOR)
                       .arg(QSysInfo::prettyProductName());
    if (daemon && daemon->protocol > 0)
        text += QObject::tr("<p>hyperforkd %1 (pid %2), protocol %3; KVM: %4</p>")
                    .arg(daemon->version)
                    .arg(daemon->pid)
                    .arg(daemon->protocol)
                    .arg(daemon->kvmAvailable ? daemon->kvmDetail : QObject::tr("unavailable (%1)").arg(daemon->kvmDetail));
    else
        text += QObject::tr("<p>Not connected to hyperforkd.</p>");
    return text;
}

void showAboutDialog(QWidget* parent, const DaemonInfo* daemon)
{
    QMessageBox::about(parent, QObject::tr("About HyperFork"), aboutText(daemon));
}

}  // namespace hf::ui
