#include "charts/cow_chart.h"

#include "backend/display_text.h"
#include "charts/chart_view.h"
#include "charts/metrics_history.h"

namespace hf::ui {

namespace {

double mib(qint64 kib) { return static_cast<double>(kib) / 1024.0; }

}  // namespace

CowChart::CowChart(MetricsHistory* history, QWidget* parent) : MetricsChart(history, Selection::Kind::All, parent)
{
    setObjectName("cowChart");
    chartView()->setAxisTitles(tr("time"), tr("MiB"));
    refresh();
}

QString CowChart::draw(const Selection& selection)
{
    const MetricsHistory* h = history();
    if (selection.kind == Selection::Kind::All) {
        if (h->totals().empty()) {
            chartView()->setTitle(tr("Memory of all VMs"));
            return tr("No memory samples yet.\nBoot a VM (VM > Boot VM…, Ctrl+B): hyperforkd samples each VM's "
                      "memory a few times a second.");
        }
        QList<QPointF> used, sizes;
        for (const MetricsHistory::Total& t : h->totals()) {
            used.append({h->unixMs(t.t), mib(t.pssKib)});
            sizes.append({h->unixMs(t.t), mib(t.rssKib)});
        }
        const MetricsHistory::Total& last = h->totals().back();
        chartView()->setTitle(tr("%1: %2 used for %3 of guest memory, sharing saves %4")
                                  .arg(last.vms == 1 ? tr("1 VM") : tr("%1 VMs").arg(last.vms),
                                       mibText(static_cast<double>(last.pssKib)), mibText(static_cast<double>(last.rssKib)),
                                       mibText(static_cast<double>(last.rssKib - last.pssKib))));
        showLines({{tr("host memory used (PSS)"), QColor("#e15759"), used},
                   {tr("without sharing (RSS)"), QColor("#4e79a7"), sizes}});
        return {};
    }
    if (selection.kind == Selection::Kind::Vms && selection.vms.size() == 1) {
        const VmId vm = selection.vms.first();
        const MetricsHistory::Series* s = h->vm(vm);
        const QString name = h->name(vm);
        if (!s || s->points.empty()) {
            chartView()->setTitle(tr("Memory of %1").arg(name));
            return tr("No memory samples of %1 yet.").arg(name);
        }
        QList<QPointF> shared, priv, pss;
        for (const MetricsHistory::Point& p : s->points) {
            const double x = h->unixMs(p.t);
            shared.append({x, pagesToMib(p.sharedPages)});
            priv.append({x, pagesToMib(p.privatePages)});
            pss.append({x, mib(p.pssKib)});
        }
        const MetricsHistory::Point& last = s->points.back();
        chartView()->setTitle(tr("%1%2: %3 shared with its relatives, %4 its own")
                                  .arg(name, s->ended ? tr(" (exited)") : QString(),
                                       mibText(static_cast<double>(last.sharedPages * pageKib)),
                                       mibText(static_cast<double>(last.privatePages * pageKib))));
        showLines({{tr("shared"), QColor("#4e79a7"), shared},
                   {tr("private"), QColor("#e15759"), priv},
                   {tr("host share (PSS)"), QColor("#59a14f"), pss}});
        return {};
    }
    // Each VM, or several: one PSS line per VM, the largest when there are many.
    QList<VmId> candidates = selection.vms;
    if (selection.kind == Selection::Kind::Each) {
        candidates.clear();
        for (VmId vm : h->vms())
            if (!h->vm(vm)->ended) candidates << vm;
    }
    auto lastPss = [h](VmId vm) {
        const MetricsHistory::Series* s = h->vm(vm);
        return s && !s->points.empty() ? static_cast<double>(s->points.back().pssKib) : 0.0;
    };
    int more = 0;
    QList<Line> lines;
    for (VmId vm : largest(candidates, lastPss, &more)) {
        const MetricsHistory::Series* s = h->vm(vm);
        if (!s || s->points.empty()) continue;
        QList<QPointF> points;
        for (const MetricsHistory::Point& p : s->points) points.append({h->unixMs(p.t), mib(p.pssKib)});
        lines.append({h->name(vm), lineColor(static_cast<int>(lines.size())), points});
    }
    QString title = tr("Host memory per VM (PSS)");
    if (more > 0) title += tr(": the %1 largest, %2 more").arg(lines.size()).arg(more);
    chartView()->setTitle(title);
    if (lines.isEmpty()) return tr("No memory samples yet.\nBoot a VM (VM > Boot VM…, Ctrl+B).");
    showLines(lines);
    return {};
}

}  // namespace hf::ui
