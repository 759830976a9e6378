#pragma once
// Fork latency per clone, newest last: stacked bars of the phases, or only
// the total. Follows a ForkLatencyTable; redraws at most every 200 ms.
#include <QTimer>
#include <QWidget>

class QCheckBox;

namespace hf::ui {

class ChartView;
class ForkLatencyTable;

class ForkLatencyChart : public QWidget {
    Q_OBJECT
public:
    static constexpr int shownForks = 50;

    ForkLatencyChart(ForkLatencyTable* table, QWidget* parent = nullptr);
    ChartView* chartView() const { return m_view; }
    void setShowPhases(bool phases);
    // Redraws now instead of at the next coalescing tick (tests, export).
    void refresh();

private:
    ForkLatencyTable* m_table;
    ChartView* m_view;
    QCheckBox* m_phases;
    QTimer m_redraw;
};

}  // namespace hf::ui
