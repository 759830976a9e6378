#pragma once
// "Keep as Template…": how many warm spares the VM keeps while it stays
// paused as a template (vm.template; docs/fork.md, "Warm spares").
#include "backend/requests.h"

#include <QDialog>

class QSpinBox;

namespace hf::ui {

class TemplateDialog : public QDialog {
    Q_OBJECT
public:
    // `spares`: the count offered first (a template's current one, else the default).
    TemplateDialog(VmId vm, const QString& vmName, int spares = TemplateRequest::defaultSpares,
                   QWidget* parent = nullptr);

    TemplateRequest request() const;
    QSpinBox* sparesBox() const { return m_spares; }

private:
    VmId m_vm;
    QSpinBox* m_spares;
};

}  // namespace hf::ui
