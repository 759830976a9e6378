#include "charts/fork_latency_chart.h"

#include "charts/chart_view.h"
#include "charts/fork_latency_table.h"
#include "charts/fork_phases_delegate.h"

#include <QCheckBox>
#include <QHash>
#include <QVBoxLayout>

#include <cmath>

namespace hf::ui {

namespace {

const QColor otherColor("#bab0ac");
const QColor coldColor("#4e79a7");
const QColor warmColor("#b07aa1");  // the warm phases' family (phaseColors())

// Below this the total and the phases' sum differ only by rounding.
constexpr double otherThresholdMs = 0.05;

// Rotated labels longer than this would take the plot's height.
constexpr qsizetype maxLabel = 16;

double orZero(double v) { return std::isnan(v) ? 0.0 : v; }

// The clone's name, with its id when the name is missing or shown twice,
// and "warm" when a spare served it: its bar is a sliver next to cold ones.
// Long names lose their middle: clones of one parent differ at the end.
QStringList barLabels(const ForkLatencyTable& table, int first, int last)
{
    QHash<QString, int> uses;
    for (int i = first; i < last; ++i) ++uses[table.row(i).name];
    QStringList labels;
    for (int i = first; i < last; ++i) {
        const ForkLatencyTable::Row& r = table.row(i);
        QString label = r.name.isEmpty() ? QStringLiteral("#%1").arg(r.clone) : r.name;
        if (label.size() > maxLabel) label = label.left(5) + QChar(0x2026) + label.right(maxLabel - 6);
        if (!r.name.isEmpty() && uses.value(r.name) > 1) label += QStringLiteral(" #%1").arg(r.clone);
        if (r.warm) label += ForkLatencyChart::tr(" · warm");
        labels << label;
    }
    return labels;
}

}  // namespace

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
    m_redraw.setInterval(redrawIntervalMs);
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

QString ForkLatencyChart::warmPhaseName(const QString& phase) { return tr("%1 (warm)").arg(phase); }
QString ForkLatencyChart::coldTotalName() { return tr("cold: forked on request"); }
QString ForkLatencyChart::warmTotalName() { return tr("warm: from a spare"); }

void ForkLatencyChart::setShowPhases(bool phases) { m_phases->setChecked(phases); }

bool ForkLatencyChart::showsPhases() const { return m_phases->isChecked(); }

void ForkLatencyChart::setShownForks(int count)
{
    m_shown = std::max(1, count);
    refresh();
}

void ForkLatencyChart::refresh()
{
    m_redraw.stop();
    const int rows = m_table->rowCount();
    const int first = std::max(0, rows - m_shown);
    bool anyWarm = false;
    for (int i = first; i < rows; ++i) anyWarm = anyWarm || m_table->row(i).warm;
    QList<ChartView::BarSet> sets;
    if (m_phases->isChecked()) {
        const QStringList& phases = ForkLatencyTable::phases();
        const qsizetype cold = ForkLatencyTable::coldPhases().size();
        for (qsizetype p = 0; p < phases.size(); ++p)
            sets.append({p < cold ? phases[p] : warmPhaseName(phases[p]), phaseColors().value(p, Qt::gray), {}});
        // What the total has beyond the known phases (a phase added later):
        // shown, so a bar's height is always the total.
        ChartView::BarSet other{tr("other"), otherColor, {}};
        bool anyOther = false;
        for (int i = first; i < rows; ++i) {
            const ForkLatencyTable::Row& r = m_table->row(i);
            double sum = 0;
            for (qsizetype p = 0; p < phases.size(); ++p) {
                const double ms = orZero(r.phaseMs.value(p));
                sets[p].values.append(ms);
                sum += ms;
            }
            const double rest = orZero(r.totalMs) - sum;
            other.values.append(rest > otherThresholdMs ? rest : 0.0);
            anyOther = anyOther || rest > otherThresholdMs;
        }
        // The warm phases' sets only with warm clones on show: a legend of
        // cold forks alone names no phase that cannot happen there.
        if (!anyWarm) sets.remove(cold, phases.size() - cold);
        if (anyOther) sets.append(other);
    } else if (anyWarm) {
        ChartView::BarSet coldTotal{coldTotalName(), coldColor, {}};
        ChartView::BarSet warmTotal{warmTotalName(), warmColor, {}};
        for (int i = first; i < rows; ++i) {
            const ForkLatencyTable::Row& r = m_table->row(i);
            (r.warm ? warmTotal : coldTotal).values.append(orZero(r.totalMs));
            (r.warm ? coldTotal : warmTotal).values.append(0.0);
        }
        sets << coldTotal << warmTotal;
    } else {
        ChartView::BarSet total{tr("total"), coldColor, {}};
        for (int i = first; i < rows; ++i) total.values.append(orZero(m_table->row(i).totalMs));
        sets.append(total);
    }
    m_view->setStackedBars(barLabels(*m_table, first, rows), sets);
    m_view->setPlaceholderText(rows > 0 ? QString()
                                        : tr("No forks yet.\nRight-click a running VM and choose Fork VM… (Ctrl+F): "
                                             "each clone's fork latency shows here, split into its phases."));
    Q_EMIT refreshed();
}

}  // namespace hf::ui
