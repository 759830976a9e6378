#include "dialogs/stop_dialog.h"

#include "backend/display_text.h"

#include <QCheckBox>
#include <QPushButton>

namespace hf::ui {

namespace {

// "a", "a and b", "a, b and c", "a, b, c and 4 more".
QString nameList(const QStringList& names, int shown = 6)
{
    if (names.size() <= 1) return names.value(0);
    if (names.size() > shown) {
        return QObject::tr("%1 and %2 more").arg(names.mid(0, shown).join(QStringLiteral(", ")))
            .arg(names.size() - shown);
    }
    return QObject::tr("%1 and %2").arg(names.mid(0, names.size() - 1).join(QStringLiteral(", ")), names.last());
}

}  // namespace

StopDialog::StopDialog(const QList<Target>& targets, Kind kind, QWidget* parent)
    : QMessageBox(parent), m_targets(targets), m_kind(kind)
{
    setObjectName(kind == Kind::Stop ? "stopDialog" : "forceOffDialog");
    setIcon(kind == Kind::Stop ? QMessageBox::Question : QMessageBox::Warning);
    setWindowTitle(kind == Kind::Stop ? tr("Stop VMs") : tr("Force Off VMs"));
    for (const Target& t : targets) m_clones += static_cast<int>(t.clones.size());
    m_confirm = addButton(kind == Kind::Stop ? tr("&Stop") : tr("&Force Off"), QMessageBox::DestructiveRole);
    QPushButton* cancel = addButton(QMessageBox::Cancel);
    setDefaultButton(cancel);
    setEscapeButton(cancel);
    if (m_clones > 0) {
        auto* box = new QCheckBox(targets.size() == 1 ? tr("Also stop its %1").arg(countText(m_clones, tr("clone"), tr("clones")))
                                                      : tr("Also stop their %1").arg(countText(m_clones, tr("clone"), tr("clones"))),
                                  this);
        box->setObjectName("stopTree");
        setCheckBox(box);
        connect(box, &QCheckBox::toggled, this, &StopDialog::describe);
    }
    describe();
}

bool StopDialog::stopClones() const { return checkBox() && checkBox()->isChecked(); }

void StopDialog::describe()
{
    QStringList names;
    for (const Target& t : m_targets) names << t.name;
    const QString vms = m_targets.size() == 1 ? m_targets.first().name
                                              : tr("%1: %2").arg(countText(m_targets.size(), tr("VM"), tr("VMs")), nameList(names));
    setText(m_kind == Kind::Stop ? tr("Stop %1?").arg(vms) : tr("Force off %1?").arg(vms));

    QStringList info;
    info << (m_kind == Kind::Stop
                 ? tr("The guest is asked to stop cleanly; a VM still running after 5 seconds is killed.")
                 : tr("Force Off kills the VM process at once, like pulling the plug: the guest cannot finish anything."));
    for (const Target& t : m_targets) {
        if (t.clones.isEmpty()) continue;
        const QString clones = countText(t.clones.size(), tr("clone"), tr("clones"));
        if (stopClones())
            info << tr("%1 has %2 (%3): they stop too.").arg(t.name, clones, nameList(t.clones));
        else if (t.parent.isEmpty())
            info << tr("%1 has %2 (%3): they keep running and move up to the top level.").arg(t.name, clones, nameList(t.clones));
        else
            info << tr("%1 has %2 (%3): they keep running and move up to %4.").arg(t.name, clones, nameList(t.clones), t.parent);
    }
    setInformativeText(info.join(QStringLiteral("\n\n")));
}

}  // namespace hf::ui
