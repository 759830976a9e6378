#include "dialogs/template_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace hf::ui {

TemplateDialog::TemplateDialog(VmId vm, const QString& vmName, int spares, QWidget* parent)
    : QDialog(parent), m_vm(vm), m_spares(new QSpinBox(this))
{
    setWindowTitle(tr("Keep %1 as a Template").arg(vmName));
    auto* about = new QLabel(tr("%1 stays paused, and clones of it are built ahead and parked: its <i>warm "
                                "spares</i>. A fork of it then takes a spare and runs at once instead of copying "
                                "the VM. Each spare costs little memory (it shares the template's) but a process. "
                                "Resume ends template mode and drops the spares.")
                                 .arg(vmName.toHtmlEscaped()),
                             this);
    about->setWordWrap(true);
    m_spares->setObjectName("sparesBox");
    m_spares->setRange(0, TemplateRequest::maxSpares);
    m_spares->setValue(spares);
    m_spares->setToolTip(tr("0 to %1; 0 keeps the VM paused as a template with no spares").arg(TemplateRequest::maxSpares));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Keep as Template"));

    auto* form = new QFormLayout;
    form->addRow(tr("&Warm spares:"), m_spares);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(about);
    layout->addLayout(form);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

TemplateRequest TemplateDialog::request() const { return {m_vm, m_spares->value()}; }

}  // namespace hf::ui
