#include "charts/cow_chart.h"

#include "charts/chart_view.h"
#include "charts/cow_history.h"

#include <QVBoxLayout>

namespace hf::ui {

CowChart::CowChart(CowHistory* history, QWidget* parent)
    : QWidget(parent), m_history(history), m_view(new ChartView(this))
{
    m_view->setAxisTitles(tr("seconds"), tr("pages"));
    m_shared = m_view->addLineSeries(tr("shared (copy-on-write)"), QColor("#4e79a7"));
    m_private = m_view->addLineSeries(tr("private"), QColor("#e15759"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    m_redraw.setSingleShot(true);
    m_redraw.setInterval(250);
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
    const std::deque<CowHistory::Point>* points = &m_history->totals();
    QString title = tr("Copy-on-write pages, all VMs");
    if (m_vm) {
        const CowHistory::Series* series = m_history->vm(*m_vm);
        static const std::deque<CowHistory::Point> none;
        points = series ? &series->points : &none;
        title = tr("Copy-on-write pages of %1").arg(series && !series->name.isEmpty() ? series->name : QString::number(*m_vm));
    }
    QList<QPointF> shared, priv;
    shared.reserve(static_cast<qsizetype>(points->size()));
    priv.reserve(static_cast<qsizetype>(points->size()));
    for (const CowHistory::Point& p : *points) {
        shared.append({p.t, static_cast<double>(p.sharedPages)});
        priv.append({p.t, static_cast<double>(p.privatePages)});
    }
    m_view->setTitle(title);
    m_view->setLinePoints(m_shared, shared);
    m_view->setLinePoints(m_private, priv);
}

}  // namespace hf::ui
