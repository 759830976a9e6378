#include "window/fork_status_text.h"

#include "backend/display_text.h"

#include <QCoreApplication>

namespace hf::ui {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("hf::ui::MainWindow", text); }

QString ms(double v) { return QString::number(v, 'f', 1); }

}  // namespace

QString forkStatusText(const ForkEvent& fork, const QString& parentName)
{
    qsizetype warm = 0;
    for (const VmInfo& c : fork.clones) warm += c.forkWarm;
    const qsizetype count = fork.clones.size();
    const QString clones = countText(count, tr("clone"), tr("clones"));
    if (fork.origin == "guest") {
        QString text = tr("The guest of %1 forked: %2, the slowest in %3 ms").arg(parentName, clones, ms(fork.maxMs));
        if (warm > 0) text += tr(" (%1 from warm spares)").arg(warm);
        return text;
    }
    if (count == 1 && warm == 1) {
        const VmInfo& c = fork.clones.first();
        return tr("Forked %1 from a warm spare in %2 ms").arg(c.name, ms(c.forkLatencyMs.value_or(fork.maxMs)));
    }
    if (warm > 0 && warm == count)
        return tr("Forked %1 of %2 from warm spares, the slowest in %3 ms").arg(clones, parentName, ms(fork.maxMs));
    if (warm > 0)
        return tr("Forked %1 of %2, %3 from warm spares, the slowest in %4 ms")
            .arg(clones, parentName)
            .arg(warm)
            .arg(ms(fork.maxMs));
    return tr("Forked %1 of %2, the slowest in %3 ms").arg(clones, parentName, ms(fork.maxMs));
}

}  // namespace hf::ui
