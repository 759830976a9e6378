#pragma once
// Asked when the window closes while VMs run. VMs keep running by default,
// as with virt-manager and VirtualBox (the daemon keeps them; the next start
// finds them again); "Stop VMs and Quit" stops every tree. In the KVM
// sandbox (scripts/run) nothing outlives the app, so it says that instead.
#include <QMessageBox>

namespace hf::ui {

class QuitDialog : public QMessageBox {
    Q_OBJECT
public:
    enum class Choice { Cancel, KeepRunning, StopVms };

    // `running`: VMs alive now; `sandboxed`: the app runs in the KVM sandbox.
    QuitDialog(int running, bool sandboxed, QWidget* parent = nullptr);
    Choice choice() const;

private:
    QAbstractButton* m_keep = nullptr;
    QAbstractButton* m_stop = nullptr;
};

}  // namespace hf::ui
