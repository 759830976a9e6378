#include "dialogs/boot_dialog.h"

#include "backend/backend_client.h"
#include "dialogs/disk_list_editor.h"

#include <QCheckBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace hf::ui {

BootDialog::BootDialog(BackendClient* backend, QWidget* parent)
    : QDialog(parent),
      m_backend(backend),
      m_cmdline(new QLineEdit(this)),
      m_memory(new QLineEdit(this)),
      m_cpus(new QSpinBox(this)),
      m_name(new QLineEdit(this)),
      m_guestFork(new QCheckBox(tr("The guest may fork itself (hf-signal fork)"), this)),
      m_disks(new DiskListEditor(this)),
      m_status(new QLabel(this)),
      m_progress(new QProgressBar(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Boot a VM"));
    m_kernel = fileRow(tr("default guest (Debian 6.1 kernel)"), tr("Kernels (vmlinuz* bzImage*);;All files (*)"));
    m_initrd = fileRow(tr("default guest (busybox initramfs)"), tr("Initramfs (*.cpio *.cpio.gz *.img);;All files (*)"));
    m_cmdline->setPlaceholderText(tr("appended to the default command line"));
    m_cpus->setRange(1, 8);
    m_status->setObjectName("bootStatus");
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress->setRange(0, 0);
    m_progress->hide();
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Boot"));

    auto* form = new QFormLayout;
    form->addRow(tr("&Kernel:"), m_kernel->parentWidget());
    form->addRow(tr("&Initrd:"), m_initrd->parentWidget());
    form->addRow(tr("Command &line:"), m_cmdline);
    form->addRow(tr("&Memory:"), m_memory);
    form->addRow(tr("&vCPUs:"), m_cpus);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(QString(), m_guestFork);
    auto* disks = new QGroupBox(tr("Disks"), this);
    disks->setToolTip(m_disks->addButton()->toolTip());
    auto* disksLayout = new QVBoxLayout(disks);
    disksLayout->addWidget(m_disks);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(disks);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_buttons);
    setMinimumWidth(520);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &BootDialog::startBoot);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (QLineEdit* e : {m_memory, m_name}) connect(e, &QLineEdit::textChanged, this, &BootDialog::revalidate);
    connect(m_cpus, &QSpinBox::valueChanged, this, &BootDialog::revalidate);
    connect(m_disks, &DiskListEditor::changed, this, &BootDialog::revalidate);
    connect(m_backend, &BackendClient::vmReady, this, &BootDialog::onReady);
    connect(m_backend, &BackendClient::vmExited, this, [this](const ExitInfo& e) { onExited(e.vm, e.reason); });
    loadSettings();
}

QLineEdit* BootDialog::fileRow(const QString& placeholder, const QString& filter)
{
    auto* row = new QWidget(this);
    auto* edit = new QLineEdit(row);
    auto* browse = new QToolButton(row);
    edit->setPlaceholderText(placeholder);
    edit->setClearButtonEnabled(true);
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(tr("Choose a file"));
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(edit);
    h->addWidget(browse);
    connect(browse, &QToolButton::clicked, this, [this, edit, filter] {
        QSettings settings;
        const QString start = edit->text().isEmpty() ? settings.value("paths/lastDir").toString() : edit->text();
        const QString path = QFileDialog::getOpenFileName(this, tr("Choose a file"), start, filter);
        if (path.isEmpty()) return;
        edit->setText(path);
        settings.setValue("paths/lastDir", QFileInfo(path).absolutePath());
    });
    return edit;
}

BootRequest BootDialog::request() const
{
    BootRequest r;
    r.kernel = m_kernel->text().trimmed();
    r.initrd = m_initrd->text().trimmed();
    r.cmdline = m_cmdline->text().trimmed();
    r.memory = m_memory->text().trimmed();
    r.cpus = m_cpus->value();
    r.name = m_name->text().trimmed();
    r.guestFork = m_guestFork->isChecked();
    r.disks = m_disks->disks();
    r.wait = "started";  // progress up to READY is shown here, from vm.ready
    return r;
}

void BootDialog::setRequest(const BootRequest& r)
{
    m_kernel->setText(r.kernel);
    m_initrd->setText(r.initrd);
    m_cmdline->setText(r.cmdline);
    m_memory->setText(r.memory);
    m_cpus->setValue(r.cpus);
    m_name->setText(r.name);
    m_guestFork->setChecked(r.guestFork);
    m_disks->setDisks(r.disks);
    revalidate();
}

void BootDialog::loadSettings()
{
    QSettings s;
    BootRequest defaults;
    s.beginGroup("boot");
    defaults.kernel = s.value("kernel").toString();
    defaults.initrd = s.value("initrd").toString();
    defaults.cmdline = s.value("cmdline").toString();
    defaults.memory = s.value("memory", defaults.memory).toString();
    defaults.cpus = s.value("cpus", defaults.cpus).toInt();
    defaults.name = s.value("name", QStringLiteral("ref")).toString();
    defaults.guestFork = s.value("guestFork", false).toBool();
    const int disks = s.beginReadArray("disks");
    for (int i = 0; i < disks && i < BootRequest::maxDisks; ++i) {
        s.setArrayIndex(i);
        defaults.disks.append({s.value("path").toString(), s.value("readonly", false).toBool()});
    }
    s.endArray();
    setRequest(defaults);
}

void BootDialog::saveSettings() const
{
    const BootRequest r = request();
    QSettings s;
    s.beginGroup("boot");
    s.setValue("kernel", r.kernel);
    s.setValue("initrd", r.initrd);
    s.setValue("cmdline", r.cmdline);
    s.setValue("memory", r.memory);
    s.setValue("cpus", r.cpus);
    s.setValue("name", r.name);
    s.setValue("guestFork", r.guestFork);
    s.beginWriteArray("disks", static_cast<int>(r.disks.size()));
    for (int i = 0; i < r.disks.size(); ++i) {
        s.setArrayIndex(i);
        s.setValue("path", r.disks[i].path);
        s.setValue("readonly", r.disks[i].readonly);
    }
    s.endArray();
}

QString BootDialog::statusText() const { return m_status->text(); }

bool BootDialog::okEnabled() const { return m_buttons->button(QDialogButtonBox::Ok)->isEnabled(); }

void BootDialog::revalidate()
{
    const QString error = request().validate();
    m_status->setText(error);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty() && !m_busy);
}

void BootDialog::setBusy(bool busy)
{
    m_busy = busy;
    m_progress->setVisible(busy);
    for (QWidget* w : {static_cast<QWidget*>(m_kernel->parentWidget()), static_cast<QWidget*>(m_initrd->parentWidget()),
                       static_cast<QWidget*>(m_cmdline), static_cast<QWidget*>(m_memory),
                       static_cast<QWidget*>(m_cpus), static_cast<QWidget*>(m_name),
                       static_cast<QWidget*>(m_guestFork), static_cast<QWidget*>(m_disks)})
        w->setEnabled(!busy);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!busy);
}

void BootDialog::startBoot()
{
    const BootRequest r = request();
    if (!r.validate().isEmpty()) return;
    saveSettings();
    setBusy(true);
    m_booted = 0;
    m_startedMs = QDateTime::currentMSecsSinceEpoch();
    m_status->setText(tr("Starting hyperfork-vmm…"));
    m_backend->bootVm(
        r, this,
        [this](const VmInfo& vm) {
            m_booted = vm.id;
            Q_EMIT vmStarted(vm);
            if (vm.ready) {
                onReady(vm.id, 0);
                return;
            }
            m_status->setText(tr("%1 (pid %2) is booting; waiting for the guest's READY signal…").arg(vm.name).arg(vm.pid));
        },
        [this](const RpcError& e) { fail(tr("Boot failed: %1").arg(e.text())); });
}

void BootDialog::onReady(VmId vm, double)
{
    if (vm == 0 || vm != m_booted) return;
    m_status->setText(tr("Ready after %1 s.").arg((QDateTime::currentMSecsSinceEpoch() - m_startedMs) / 1000.0, 0, 'f', 1));
    accept();
}

void BootDialog::onExited(VmId vm, const QString& reason)
{
    if (vm != 0 && vm == m_booted) fail(tr("The VM exited before it was ready: %1").arg(reason));
}

void BootDialog::fail(const QString& message)
{
    setBusy(false);
    m_booted = 0;
    revalidate();  // re-enables Boot; it writes the status line, which the message then takes
    m_status->setText(message);
}

}  // namespace hf::ui
