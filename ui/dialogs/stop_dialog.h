#pragma once
// "Stop" and "Force Off" ask first, naming the VMs and saying what happens
// to their clones: they keep running and move up to the stopped VM's parent,
// or, when "Also stop … clones" is ticked, stop too (vm.stop's `tree`).
// Cancel is the default button: Enter stops nothing.
#include "backend/protocol_types.h"

#include <QMessageBox>

namespace hf::ui {

class StopDialog : public QMessageBox {
    Q_OBJECT
public:
    struct Target {
        VmId id = 0;
        QString name;
        QStringList clones;  // every descendant's name, depth first
        QString parent;      // where the clones move; empty: to the top level
    };
    enum class Kind { Stop, ForceOff };

    StopDialog(const QList<Target>& targets, Kind kind, QWidget* parent = nullptr);

    // Ticked "Also stop their clones" (offered only when there are clones).
    bool stopClones() const;
    QAbstractButton* confirmButton() const { return m_confirm; }

private:
    void describe();

    QList<Target> m_targets;
    Kind m_kind;
    QAbstractButton* m_confirm;
    int m_clones = 0;
};

}  // namespace hf::ui
