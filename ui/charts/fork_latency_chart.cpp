#include "charts/fork_latency_chart.h"

#include "charts/chart_view.h"
#include "charts/fork_latency_table.h"

#include <QCheckBox>
#include <QVBoxLayout>

#include <cmath>

namespace hf::ui {

namespace {
// One colour per phase, in docs/fork.md's order, readable on white and in print.
const QList<QColor> phaseColors{QColor("#4e79a7"), QColor("#f28e2b"), QColor("#e15759"),
                                QColor("#76b7b2"), QColor("#59a14f"), QColor("#edc948")};
}

ForkLatencyChart::ForkLatencyChart(ForkLatencyTable* table, QWidget* parent)
    : QWidget(parent), m_table(table), m_view(new ChartView(this)), m_phases(new QCheckBox(tr("Show &phases"), this))
{
    m_view->setTitle(tr("Fork latency per clone"));
    m_view->setAxisTitles(tr("clone"), tr("ms"));
    m_phases->setChecked(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_phases);
    m_redraw.setSingleShot(true);
    m_redraw.setInterval(200);
    connect(&m_redraw, &QTimer::timeout, this, &ForkLatencyChart::refresh);
    auto later = [this] {
        if (!m_redraw.isActive()) m_redraw.start();
    };
    connect(m_table, &QAbstractItemModel::rowsInserted, this, later);
    connect(m_table, &QAbstractItemModel::rowsRemoved, this, later);
    connect(m_table, &QAbstractItemModel::modelReset, this, later);
    connect(m_phases, &QCheckBox::toggled, this, &ForkLatencyChart::refresh);
    refresh();
}

void ForkLatencyChart::setShowPhases(bool phases) { m_phases->setChecked(phases); }

void ForkLatencyChart::refresh()
{
    m_redraw.stop();
    const int rows = m_table->rowCount();
    const int first = std::max(0, rows - shownForks);
    QStringList categories;
    for (int i = first; i < rows; ++i) categories << m_table->row(i).name;
    QList<ChartView::BarSet> sets;
    if (m_phases->isChecked()) {
        const QStringList& phases = ForkLatencyTable::phases();
        for (qsizetype p = 0; p < phases.size(); ++p) {
            ChartView::BarSet set{phases[p], phaseColors.value(p, Qt::gray), {}};
            for (int i = first; i < rows; ++i) {
                const double ms = m_table->row(i).phaseMs.value(p);
                set.values.append(std::isnan(ms) ? 0.0 : ms);
            }
            sets.append(set);
        }
    } else {
        ChartView::BarSet total{tr("total"), QColor("#4e79a7"), {}};
        for (int i = first; i < rows; ++i) total.values.append(m_table->row(i).totalMs);
        sets.append(total);
    }
    m_view->setStackedBars(categories, sets);
}

}  // namespace hf::ui
