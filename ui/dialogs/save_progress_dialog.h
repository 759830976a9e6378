#pragma once
// Save as Template…'s progress while hyperforkd writes a VM to disk (vm.save
// and its vm.save_progress events): what is written of what, that the VM is
// paused meanwhile when it was running, and no Cancel (the daemon cannot
// stop a save halfway); Hide only closes the window, the save goes on.
#include <QDialog>

class QLabel;
class QProgressBar;

namespace hf::ui {

class SaveProgressDialog : public QDialog {
    Q_OBJECT
public:
    // `vmWasRunning`: say that the VM is paused while it saves.
    SaveProgressDialog(const QString& vmName, const QString& templateName, bool vmWasRunning, QWidget* parent = nullptr);

    // `done` of `total` bytes written; total 0: not known yet (a busy bar).
    void setProgress(qint64 done, qint64 total);
    QProgressBar* progressBar() const { return m_bar; }
    // "120 MiB of 512 MiB", empty before the first progress.
    QString progressText() const;

private:
    QProgressBar* m_bar;
    QLabel* m_written;
};

}  // namespace hf::ui
