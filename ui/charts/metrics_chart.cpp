#include "charts/metrics_chart.h"

#include "charts/chart_view.h"
#include "charts/metrics_history.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>

namespace hf::ui {

namespace {

// The selector's entries carry what they show: these, or a VM id (> 0).
constexpr qint64 allVms = -1, eachVm = -2, selectedVms = -3;

}  // namespace

MetricsChart::MetricsChart(MetricsHistory* history, Selection::Kind whenNoneSelected, QWidget* parent)
    : QWidget(parent),
      m_history(history),
      m_view(new ChartView(this)),
      m_selector(new QComboBox(this)),
      m_default(whenNoneSelected),
      m_selection{whenNoneSelected, {}}
{
    m_view->setXAxis(ChartView::XAxis::DateTime);
    m_selector->setObjectName("vmSelector");
    m_selector->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_selector->setToolTip(tr("What the chart shows; selecting VMs in the list shows those"));
    auto* label = new QLabel(tr("&Show:"), this);
    label->setBuddy(m_selector);
    auto* top = new QHBoxLayout;
    top->setContentsMargins(4, 2, 4, 0);
    top->addWidget(label);
    top->addWidget(m_selector);
    top->addStretch(1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(top);
    layout->addWidget(m_view, 1);
    // The first change of a quiet period starts the timer, later ones ride
    // along: one redraw per interval, not one per tick or per VM.
    m_redraw.setSingleShot(true);
    m_redraw.setInterval(redrawIntervalMs);
    connect(&m_redraw, &QTimer::timeout, this, &MetricsChart::refresh);
    connect(m_history, &MetricsHistory::updated, this, &MetricsChart::scheduleRedraw);
    // Programmatic changes (rebuildSelector) block signals: this is the user's choice.
    connect(m_selector, &QComboBox::currentIndexChanged, this, &MetricsChart::onSelectorActivated);
    rebuildSelector();
}

void MetricsChart::scheduleRedraw()
{
    if (!m_redraw.isActive()) m_redraw.start();
}

QColor MetricsChart::lineColor(int index)
{
    static const QList<QColor> palette{QColor("#4e79a7"), QColor("#e15759"), QColor("#59a14f"), QColor("#f28e2b"),
                                       QColor("#b07aa1"), QColor("#76b7b2"), QColor("#edc948"), QColor("#ff9da7"),
                                       QColor("#9c755f"), QColor("#bab0ac"), QColor("#17becf"), QColor("#8c564b")};
    return palette[index % palette.size()];
}

void MetricsChart::followSelection(const QList<VmId>& vms)
{
    m_selection = vms.isEmpty() ? Selection{m_default, {}} : Selection{Selection::Kind::Vms, vms};
    refresh();
}

void MetricsChart::setVm(std::optional<VmId> vm)
{
    followSelection(vm ? QList<VmId>{*vm} : QList<VmId>{});
}

std::optional<VmId> MetricsChart::shownVm() const
{
    if (m_selection.kind == Selection::Kind::Vms && m_selection.vms.size() == 1) return m_selection.vms.first();
    return std::nullopt;
}

void MetricsChart::onSelectorActivated(int index)
{
    const qint64 data = m_selector->itemData(index).toLongLong();
    if (data == allVms)
        m_selection = Selection{};
    else if (data == eachVm)
        m_selection = Selection{Selection::Kind::Each, {}};
    else if (data > 0)
        m_selection = Selection{Selection::Kind::Vms, {data}};
    refresh();  // "Selected VMs" is what is shown already
}

void MetricsChart::rebuildSelector()
{
    // The VMs with a history, live ones first; rebuilt only when that list changes.
    QList<VmId> live, ended;
    for (VmId id : m_history->vms()) (m_history->vm(id)->ended ? ended : live).append(id);
    QString key = QString::number(m_selection.vms.size());
    for (VmId id : live + ended) key += QStringLiteral("|%1:%2:%3").arg(id).arg(m_history->name(id)).arg(m_history->vm(id)->ended);
    if (key != m_selectorKey) {
        m_selectorKey = key;
        const QSignalBlocker block(m_selector);
        m_selector->clear();
        m_selector->addItem(tr("All VMs"), allVms);
        m_selector->addItem(tr("Each VM"), eachVm);
        if (m_selection.kind == Selection::Kind::Vms && m_selection.vms.size() > 1)
            m_selector->addItem(tr("Selected VMs (%1)").arg(m_selection.vms.size()), selectedVms);
        if (!live.isEmpty() || !ended.isEmpty()) m_selector->insertSeparator(m_selector->count());
        for (VmId id : live) m_selector->addItem(m_history->name(id), id);
        for (VmId id : ended) m_selector->addItem(tr("%1 (exited)").arg(m_history->name(id)), id);
    }
    qint64 current = allVms;
    if (m_selection.kind == Selection::Kind::Each) current = eachVm;
    if (m_selection.kind == Selection::Kind::Vms) current = m_selection.vms.size() == 1 ? m_selection.vms.first() : selectedVms;
    const int index = m_selector->findData(current);
    const QSignalBlocker block(m_selector);
    if (index >= 0) {
        m_selector->setCurrentIndex(index);
    } else {
        // A VM selected before its first sample: listed once it has one.
        m_selector->addItem(m_history->name(current), current);
        m_selector->setCurrentIndex(m_selector->count() - 1);
        m_selectorKey.clear();
    }
}

QList<VmId> MetricsChart::largest(const QList<VmId>& candidates, const std::function<double(VmId)>& size, int* more) const
{
    QList<VmId> vms = candidates;
    *more = 0;
    if (vms.size() <= maxLines) return vms;
    std::stable_sort(vms.begin(), vms.end(), [&](VmId a, VmId b) { return size(a) > size(b); });
    *more = static_cast<int>(vms.size()) - maxLines;
    vms.resize(maxLines);
    std::sort(vms.begin(), vms.end());
    return vms;
}

void MetricsChart::showLines(const QList<Line>& lines)
{
    QStringList key;
    for (const Line& l : lines) key << l.name + l.color.name();
    if (key != m_lineKey) {
        m_view->clear();
        for (const Line& l : lines) m_view->addLineSeries(l.name, l.color);
        m_lineKey = key;
    }
    for (qsizetype i = 0; i < lines.size(); ++i) m_view->replacePoints(static_cast<int>(i), lines[i].points);
    QList<double> forks;
    if (!lines.isEmpty())
        for (const MetricsHistory::Fork& f : m_history->forks()) forks << static_cast<double>(f.unixMs);
    m_view->setMarkers(forks, tr("fork"));
}

void MetricsChart::refresh()
{
    m_redraw.stop();
    rebuildSelector();
    const QString why = draw(m_selection);
    m_hasData = why.isEmpty();
    if (!m_hasData) showLines({});
    m_view->setPlaceholderText(why);
    Q_EMIT refreshed();
}

}  // namespace hf::ui
