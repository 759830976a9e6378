#pragma once
// The boot dialog's "Disks" section: one row per disk image (its path, a
// file chooser, "read-only", remove) and "Add Disk…", up to
// BootRequest::maxDisks. Rows are in the order the guest sees the disks.
#include "backend/requests.h"

#include <QWidget>

class QCheckBox;
class QLineEdit;
class QPushButton;
class QVBoxLayout;

namespace hf::ui {

class DiskListEditor : public QWidget {
    Q_OBJECT
public:
    explicit DiskListEditor(QWidget* parent = nullptr);

    QList<BootDisk> disks() const;
    void setDisks(const QList<BootDisk>& disks);
    void addDisk(const BootDisk& disk);
    void removeDisk(int row);
    int count() const { return static_cast<int>(m_rows.size()); }
    QPushButton* addButton() const { return m_add; }

Q_SIGNALS:
    void changed();

private:
    struct Row {
        QWidget* widget;
        QLineEdit* path;
        QCheckBox* readonly;
    };
    void chooseAndAdd();
    void updateAddButton();

    QVBoxLayout* m_rowsLayout;
    QPushButton* m_add;
    QList<Row> m_rows;
};

}  // namespace hf::ui
