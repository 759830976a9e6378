#include "dialogs/fork_dialog.h"

#include <QButtonGroup>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace hf::ui {

ForkDialog::ForkDialog(VmId vm, const QString& vmName, QWidget* parent)
    : QDialog(parent),
      m_vm(vm),
      m_count(new QSpinBox(this)),
      m_prefix(new QLineEdit(this)),
      m_error(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Fork %1").arg(vmName));
    // Each question's radio buttons in a widget and a group of their own:
    // radio buttons sharing a parent are exclusive across both questions, so
    // answering "the parent" would clear "when".
    auto* whenBox = new QWidget(this);
    auto* parentBox = new QWidget(this);
    m_now = new QRadioButton(tr("&Now"), whenBox);
    m_onSignal = new QRadioButton(tr("At the guest's next fork &signal (hf-signal fork)"), whenBox);
    m_continueParent = new QRadioButton(tr("Keeps &running"), parentBox);
    m_pauseParent = new QRadioButton(tr("Stays &paused as a template"), parentBox);
    auto* whenGroup = new QButtonGroup(this);
    whenGroup->addButton(m_now);
    whenGroup->addButton(m_onSignal);
    auto* parentGroup = new QButtonGroup(this);
    parentGroup->addButton(m_continueParent);
    parentGroup->addButton(m_pauseParent);
    m_now->setChecked(true);
    m_continueParent->setChecked(true);

    m_count->setRange(0, 999);  // out-of-range values are shown as errors, not silently clamped
    m_count->setValue(1);
    m_prefix->setPlaceholderText(vmName);
    m_prefix->setToolTip(tr("Clones are named <prefix>-1, <prefix>-2, …"));
    m_error->setObjectName("validationError");
    m_error->setStyleSheet("color: #c62828;");
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Fork"));

    auto* when = new QVBoxLayout(whenBox);
    when->setContentsMargins(0, 0, 0, 0);
    when->addWidget(m_now);
    when->addWidget(m_onSignal);
    auto* parentMode = new QVBoxLayout(parentBox);
    parentMode->setContentsMargins(0, 0, 0, 0);
    parentMode->addWidget(m_continueParent);
    parentMode->addWidget(m_pauseParent);
    auto* form = new QFormLayout;
    form->addRow(tr("&Clones:"), m_count);
    form->addRow(tr("When:"), whenBox);
    form->addRow(tr("The parent:"), parentBox);
    form->addRow(tr("Name &prefix:"), m_prefix);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_count, &QSpinBox::valueChanged, this, &ForkDialog::revalidate);
    connect(m_prefix, &QLineEdit::textChanged, this, &ForkDialog::revalidate);
    revalidate();
}

ForkRequest ForkDialog::request() const
{
    ForkRequest r;
    r.vm = m_vm;
    r.count = m_count->value();
    r.when = m_onSignal->isChecked() ? ForkRequest::When::OnGuestSignal : ForkRequest::When::Now;
    r.parent = m_pauseParent->isChecked() ? ForkRequest::Parent::Pause : ForkRequest::Parent::Continue;
    r.namePrefix = m_prefix->text().trimmed();
    return r;
}

bool ForkDialog::okEnabled() const { return m_buttons->button(QDialogButtonBox::Ok)->isEnabled(); }

void ForkDialog::revalidate()
{
    const QString error = validationError();
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty());
}

}  // namespace hf::ui
