#include "charts/cow_chart.h"

#include "charts/chart_view.h"
#include "charts/cow_history.h"

#include <QVBoxLayout>

namespace hf::ui {

CowChart::CowChart(CowHistory* history, QWidget* parent)
    : QWidget(parent), m_history(history), m_view(new ChartView(this))
{
    m_view->setAxisTitles(tr("seconds since the first sample"), tr("pages"));
    m_shared = m_view->addLineSeries(tr("shared (copy-on-write)"), QColor("#4e79a7"));
    m_private = m_view->addLineSeries(tr("private"), QColor("#e15759"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    // The first change of a quiet period starts the timer, later ones ride
    // along: one redraw per interval, not one per tick or per VM.
    m_redraw.setSingleShot(true);
    m_redraw.setInterval(redrawIntervalMs);
    connect(&m_redraw, &QTimer::timeout, this, &CowChart::refresh);
    connect(m_history, &CowHistory::updated, this, [this] {
        if (!m_redraw.isActive()) m_redraw.start();
    });
    refresh();
}

void CowChart::setVm(std::optional<VmId> vm)
{
    m_vm = vm;
    refresh();
}

void CowChart::refresh()
{
    m_redraw.stop();
    static const std::deque<CowHistory::Point> none;
    const std::deque<CowHistory::Point>* points = &m_history->totals();
    QString title = tr("Copy-on-write pages, all VMs");
    if (m_vm) {
        const CowHistory::Series* series = m_history->vm(*m_vm);
        points = series ? &series->points : &none;
        const QString name = series && !series->name.isEmpty() ? series->name : QStringLiteral("#%1").arg(*m_vm);
        title = series && series->ended ? tr("Copy-on-write pages of %1 (exited)").arg(name)
                                        : tr("Copy-on-write pages of %1").arg(name);
    }
    QList<QPointF> shared, priv;
    shared.reserve(static_cast<qsizetype>(points->size()));
    priv.reserve(static_cast<qsizetype>(points->size()));
    for (const CowHistory::Point& p : *points) {
        shared.append({p.t, static_cast<double>(p.sharedPages)});
        priv.append({p.t, static_cast<double>(p.privatePages)});
    }
    m_view->setTitle(title);
    m_view->replacePoints(m_shared, shared);
    m_view->replacePoints(m_private, priv);
    Q_EMIT refreshed();
}

}  // namespace hf::ui
