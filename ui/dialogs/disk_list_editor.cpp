#include "dialogs/disk_list_editor.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QToolButton>
#include <QVBoxLayout>

namespace hf::ui {

namespace {

// A file chooser for disk images, opening where the last one was chosen.
QString chooseDiskImage(QWidget* parent, const QString& current)
{
    QSettings settings;
    const QString start = current.isEmpty() ? settings.value("paths/lastDiskDir").toString() : current;
    const QString path = QFileDialog::getOpenFileName(parent, QObject::tr("Choose a disk image"), start,
                                                      QObject::tr("Disk images (*.img *.ext4 *.raw);;All files (*)"));
    if (!path.isEmpty()) settings.setValue("paths/lastDiskDir", QFileInfo(path).absolutePath());
    return path;
}

}  // namespace

DiskListEditor::DiskListEditor(QWidget* parent)
    : QWidget(parent), m_rowsLayout(new QVBoxLayout), m_add(new QPushButton(tr("&Add Disk…"), this))
{
    m_add->setObjectName("addDisk");
    m_add->setToolTip(tr("Attach a disk image as a virtio-blk disk. The image itself is never written: "
                         "each VM writes to its own overlay, and a clone starts with its parent's."));
    m_rowsLayout->setContentsMargins(0, 0, 0, 0);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(m_rowsLayout);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_add);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    connect(m_add, &QPushButton::clicked, this, &DiskListEditor::chooseAndAdd);
}

QList<BootDisk> DiskListEditor::disks() const
{
    QList<BootDisk> out;
    for (const Row& r : m_rows) out.append({r.path->text().trimmed(), r.readonly->isChecked()});
    return out;
}

void DiskListEditor::setDisks(const QList<BootDisk>& disks)
{
    while (!m_rows.isEmpty()) removeDisk(count() - 1);
    for (const BootDisk& d : disks) addDisk(d);
    Q_EMIT changed();
}

void DiskListEditor::addDisk(const BootDisk& disk)
{
    auto* widget = new QWidget(this);
    auto* path = new QLineEdit(disk.path, widget);
    auto* browse = new QToolButton(widget);
    auto* readonly = new QCheckBox(tr("read-only"), widget);
    auto* remove = new QToolButton(widget);
    path->setPlaceholderText(tr("disk image (raw, for example ext4)"));
    path->setClearButtonEnabled(true);
    browse->setText(QStringLiteral("…"));
    browse->setToolTip(tr("Choose a disk image"));
    readonly->setChecked(disk.readonly);
    readonly->setToolTip(tr("The guest sees a read-only disk (writes fail in the guest)"));
    remove->setText(QStringLiteral("−"));
    remove->setToolTip(tr("Remove this disk"));
    remove->setObjectName("removeDisk");
    auto* h = new QHBoxLayout(widget);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(path, 1);
    h->addWidget(browse);
    h->addWidget(readonly);
    h->addWidget(remove);
    m_rowsLayout->addWidget(widget);
    m_rows.append({widget, path, readonly});

    connect(path, &QLineEdit::textChanged, this, &DiskListEditor::changed);
    connect(readonly, &QCheckBox::toggled, this, &DiskListEditor::changed);
    connect(browse, &QToolButton::clicked, this, [this, path] {
        if (const QString chosen = chooseDiskImage(this, path->text()); !chosen.isEmpty()) path->setText(chosen);
    });
    // By widget, not row number: rows above may have gone meanwhile.
    connect(remove, &QToolButton::clicked, this, [this, widget] {
        for (int i = 0; i < count(); ++i)
            if (m_rows[i].widget == widget) return removeDisk(i);
    });
    updateAddButton();
    Q_EMIT changed();
}

void DiskListEditor::removeDisk(int row)
{
    if (row < 0 || row >= count()) return;
    // Later: the click that asked is still being delivered to its button.
    QWidget* widget = m_rows.takeAt(row).widget;
    widget->hide();
    widget->deleteLater();
    updateAddButton();
    Q_EMIT changed();
}

void DiskListEditor::chooseAndAdd()
{
    if (const QString path = chooseDiskImage(this, {}); !path.isEmpty()) addDisk({path, false});
}

void DiskListEditor::updateAddButton() { m_add->setEnabled(count() < BootRequest::maxDisks); }

}  // namespace hf::ui
