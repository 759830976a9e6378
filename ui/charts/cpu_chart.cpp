#include "charts/cpu_chart.h"

#include "backend/display_text.h"
#include "charts/chart_view.h"
#include "charts/metrics_history.h"

#include <cmath>

namespace hf::ui {

CpuChart::CpuChart(MetricsHistory* history, QWidget* parent) : MetricsChart(history, Selection::Kind::Each, parent)
{
    setObjectName("cpuChart");
    chartView()->setAxisTitles(tr("time"), tr("% of one host CPU"));
    refresh();
}

QString CpuChart::draw(const Selection& selection)
{
    const MetricsHistory* h = history();
    auto percentOf = [h](VmId vm) {
        QList<QPointF> points;
        if (const MetricsHistory::Series* s = h->vm(vm))
            for (const MetricsHistory::Point& p : s->points)
                if (!std::isnan(p.cpuPercent)) points.append({h->unixMs(p.t), p.cpuPercent});
        return points;
    };
    if (selection.kind == Selection::Kind::All) {
        chartView()->setTitle(tr("CPU use of all VMs"));
        // The first tick has no CPU use yet: it needs two samples.
        if (h->totals().size() < 2)
            return tr("No CPU samples yet.\nBoot a VM (VM > Boot VM…, Ctrl+B): hyperforkd samples each VM's CPU time "
                      "a few times a second.");
        QList<QPointF> points;
        for (auto it = std::next(h->totals().begin()); it != h->totals().end(); ++it) points.append({h->unixMs(it->t), it->cpuPercent});
        showLines({{tr("all VMs"), lineColor(0), points}});
        return {};
    }
    QList<VmId> candidates = selection.vms;
    if (selection.kind == Selection::Kind::Each) {
        candidates.clear();
        for (VmId vm : h->vms())
            if (!h->vm(vm)->ended) candidates << vm;
    }
    int more = 0;
    const QList<VmId> shown = largest(candidates, [&](VmId vm) {
        const QList<QPointF> p = percentOf(vm);
        return p.isEmpty() ? 0.0 : p.last().y();
    }, &more);
    QList<Line> lines;
    for (VmId vm : shown)
        if (QList<QPointF> points = percentOf(vm); !points.isEmpty())
            lines.append({h->name(vm), lineColor(static_cast<int>(lines.size())), points});
    QString title = shown.size() == 1 ? tr("CPU use of %1").arg(h->name(shown.first())) : tr("CPU use per VM");
    if (more > 0) title += tr(" (the %1 busiest; %2 more)").arg(shown.size()).arg(more);
    chartView()->setTitle(title);
    if (lines.isEmpty())
        return shown.size() == 1 ? tr("No CPU samples of %1 yet: it needs two.").arg(h->name(shown.first()))
                                 : tr("No CPU samples yet.\nBoot a VM (VM > Boot VM…, Ctrl+B).");
    showLines(lines);
    return {};
}

}  // namespace hf::ui
