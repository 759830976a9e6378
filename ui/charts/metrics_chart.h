#pragma once
// The part the memory and CPU charts share: a MetricsHistory drawn as lines
// over time, with a visible selector of what is plotted (all VMs together,
// each VM as its own line, one VM, or the VMs selected in the tree), fork
// markers on the time axis, a placeholder that says why a chart is empty,
// and redraws coalesced to one per 250 ms however many VMs and ticks arrive.
#include "backend/protocol_types.h"

#include <QColor>
#include <QPointF>
#include <QTimer>
#include <QWidget>

#include <functional>
#include <optional>

class QComboBox;
class QLabel;

namespace hf::ui {

class ChartView;
class MetricsHistory;

class MetricsChart : public QWidget {
    Q_OBJECT
public:
    static constexpr int redrawIntervalMs = 250;
    static constexpr int maxLines = 12;  // "each VM": the largest ones, readable

    struct Selection {
        enum class Kind { All, Each, Vms };
        Kind kind = Kind::All;
        QList<VmId> vms;  // Kind::Vms
    };

    ChartView* chartView() const { return m_view; }
    QComboBox* selector() const { return m_selector; }
    Selection selection() const { return m_selection; }

    // Follows the tree's selection: none → the chart's default (all VMs
    // together, or each VM), one → that VM, more → those.
    void followSelection(const QList<VmId>& vms);
    // One VM, or all VMs (nullopt). Redraws now.
    void setVm(std::optional<VmId> vm);
    std::optional<VmId> shownVm() const;
    // Whether the last redraw plotted anything (export needs data).
    bool hasData() const { return m_hasData; }
    // Redraws now instead of at the next coalescing tick (tests, export).
    void refresh();

Q_SIGNALS:
    void refreshed();

protected:
    struct Line {
        QString name;
        QColor color;
        QList<QPointF> points;  // x: ms since the epoch
    };

    // `whenNoneSelected`: what shows with no VM selected.
    MetricsChart(MetricsHistory* history, Selection::Kind whenNoneSelected, QWidget* parent);
    MetricsHistory* history() const { return m_history; }
    // Draws `selection` through showLines(); returns why nothing could be
    // drawn (the placeholder), or an empty string when something was.
    virtual QString draw(const Selection& selection) = 0;
    // Replaces the lines (in place when they are the same as last time) and
    // puts the fork markers on the time axis.
    void showLines(const QList<Line>& lines);
    // The VMs to draw one line each for: `candidates` when few, else the
    // maxLines largest by `size`. Sets *more to how many were left out.
    QList<VmId> largest(const QList<VmId>& candidates, const std::function<double(VmId)>& size, int* more) const;
    static QColor lineColor(int index);

private:
    void rebuildSelector();
    void onSelectorActivated(int index);
    void scheduleRedraw();

    MetricsHistory* m_history;
    ChartView* m_view;
    QComboBox* m_selector;
    Selection::Kind m_default;
    Selection m_selection;
    QTimer m_redraw;
    QString m_selectorKey;  // what the selector lists, to rebuild only on change
    QStringList m_lineKey;  // the lines shown, to update them in place
    bool m_hasData = false;
};

}  // namespace hf::ui
