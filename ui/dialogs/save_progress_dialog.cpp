#include "dialogs/save_progress_dialog.h"

#include "backend/display_text.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace hf::ui {

namespace {
// The bar counts in thousandths: byte counts overflow its int range past 2 GiB.
constexpr int barSteps = 1000;
}  // namespace

SaveProgressDialog::SaveProgressDialog(const QString& vmName, const QString& templateName, bool vmWasRunning,
                                       QWidget* parent)
    : QDialog(parent), m_bar(new QProgressBar(this)), m_written(new QLabel(this))
{
    setWindowTitle(tr("Saving %1 as Template %2").arg(vmName, templateName));
    QString text = tr("Writing %1 to the template <b>%2</b> on disk.").arg(vmName.toHtmlEscaped(), templateName.toHtmlEscaped());
    if (vmWasRunning) text += tr(" %1 is paused while it saves, and runs on after.").arg(vmName.toHtmlEscaped());
    auto* about = new QLabel(text, this);
    about->setObjectName("about");
    about->setWordWrap(true);
    auto* note = new QLabel(tr("A save cannot be cancelled. Hiding this window does not stop it: the status bar "
                               "says when it is done, and the Templates list shows it."),
                            this);
    note->setWordWrap(true);
    m_bar->setObjectName("saveProgress");
    m_bar->setRange(0, 0);  // busy until the first vm.save_progress
    m_written->setObjectName("written");
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    buttons->button(QDialogButtonBox::Close)->setText(tr("&Hide"));

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(about);
    layout->addWidget(m_bar);
    layout->addWidget(m_written);
    layout->addWidget(note);
    layout->addWidget(buttons);
    setMinimumWidth(420);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void SaveProgressDialog::setProgress(qint64 done, qint64 total)
{
    if (total <= 0) {
        m_bar->setRange(0, 0);
        m_written->setText(tr("%1 written").arg(bytesText(done)));
        return;
    }
    const qint64 clamped = std::clamp<qint64>(done, 0, total);
    m_bar->setRange(0, barSteps);
    m_bar->setValue(static_cast<int>(static_cast<double>(clamped) / static_cast<double>(total) * barSteps));
    m_written->setText(tr("%1 of %2").arg(bytesText(clamped), bytesText(total)));
}

QString SaveProgressDialog::progressText() const { return m_written->text(); }

}  // namespace hf::ui
