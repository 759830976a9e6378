#pragma once
// "Boot VM…": kernel, initrd, command line, memory, vCPUs, name and disks, the
// default guest pre-filled (empty kernel/initrd), the last values remembered
// (QSettings "boot/"). After "Boot" it sends vm.boot and stays open showing
// progress until the guest's READY (vm.ready), or the error if it fails.
#include "backend/requests.h"

#include <QDialog>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QSpinBox;

namespace hf::ui {

class BackendClient;
class DiskListEditor;

class BootDialog : public QDialog {
    Q_OBJECT
public:
    BootDialog(BackendClient* backend, QWidget* parent = nullptr);

    BootRequest request() const;
    void setRequest(const BootRequest& request);
    bool okEnabled() const;
    VmId bootedVm() const { return m_booted; }
    DiskListEditor* diskList() const { return m_disks; }
    QString statusText() const;

    void loadSettings();
    void saveSettings() const;

Q_SIGNALS:
    // The VMM runs and registered; the guest is still booting.
    void vmStarted(const hf::ui::VmInfo& vm);

private:
    void revalidate();
    void startBoot();
    void onReady(VmId vm, double ms);
    void onExited(VmId vm, const QString& reason);
    void fail(const QString& message);
    void setBusy(bool busy);
    QLineEdit* fileRow(const QString& placeholder, const QString& filter);

    BackendClient* m_backend;
    QLineEdit* m_kernel;
    QLineEdit* m_initrd;
    QLineEdit* m_cmdline;
    QLineEdit* m_memory;
    QSpinBox* m_cpus;
    QLineEdit* m_name;
    QCheckBox* m_guestFork;
    DiskListEditor* m_disks;
    QLabel* m_status;
    QProgressBar* m_progress;
    QDialogButtonBox* m_buttons;
    VmId m_booted = 0;
    bool m_busy = false;
    qint64 m_startedMs = 0;
};

}  // namespace hf::ui
