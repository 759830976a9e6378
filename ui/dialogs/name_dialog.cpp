#include "dialogs/name_dialog.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace hf::ui {

NameDialog::NameDialog(const Text& text, const QString& initial, Check check, QWidget* parent)
    : QDialog(parent),
      m_check(std::move(check)),
      m_name(new QLineEdit(initial, this)),
      m_error(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(text.title);
    auto* about = new QLabel(text.about, this);
    about->setObjectName("about");
    about->setWordWrap(true);
    m_name->setObjectName("nameEdit");
    m_name->setMaxLength(256);  // long enough to say "at most 64" rather than cut silently
    m_name->selectAll();
    m_error->setObjectName("validationError");
    m_error->setStyleSheet("color: #c62828;");
    m_error->setWordWrap(true);
    acceptButton()->setText(text.accept);

    auto* form = new QFormLayout;
    form->addRow(text.label, m_name);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(about);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);
    setMinimumWidth(420);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_name, &QLineEdit::textChanged, this, &NameDialog::revalidate);
    revalidate();
}

QString NameDialog::name() const { return m_name->text().trimmed(); }

QPushButton* NameDialog::acceptButton() const { return m_buttons->button(QDialogButtonBox::Ok); }

void NameDialog::accept()
{
    if (m_check && !m_check(name()).isEmpty()) return;
    QDialog::accept();
}

void NameDialog::revalidate()
{
    const QString error = m_check ? m_check(name()) : QString();
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    acceptButton()->setEnabled(error.isEmpty());
}

}  // namespace hf::ui
