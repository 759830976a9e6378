#pragma once
// "Fork VM…": how many clones, when (now, or at the guest's next fork
// signal), whether the parent keeps running or stays paused as a template,
// and the clones' name prefix. OK is enabled only for a valid request.
#include "backend/requests.h"

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace hf::ui {

class ForkDialog : public QDialog {
    Q_OBJECT
public:
    ForkDialog(VmId vm, const QString& vmName, QWidget* parent = nullptr);

    ForkRequest request() const;
    QString validationError() const { return request().validate(); }

    // Exposed for tests and for the main window's defaults.
    QSpinBox* countBox() const { return m_count; }
    QLineEdit* prefixEdit() const { return m_prefix; }
    QRadioButton* onSignalButton() const { return m_onSignal; }
    QRadioButton* pauseParentButton() const { return m_pauseParent; }
    bool okEnabled() const;

private:
    void revalidate();

    VmId m_vm;
    QSpinBox* m_count;
    QRadioButton* m_now;
    QRadioButton* m_onSignal;
    QRadioButton* m_continueParent;
    QRadioButton* m_pauseParent;
    QLineEdit* m_prefix;
    QLabel* m_error;
    QDialogButtonBox* m_buttons;
};

}  // namespace hf::ui
