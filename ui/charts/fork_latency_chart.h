#pragma once
// Fork latency of the last forks, one bar per clone, newest right: stacked
// phases (docs/fork.md) or only the total. Warm clones (a template's spare
// served them) have phases and a colour of their own and "warm" in their
// label; the legend names both. Follows a ForkLatencyTable; redraws at most
// every 200 ms, so a 64-clone fork is one redraw.
#include <QTimer>
#include <QWidget>

class QCheckBox;

namespace hf::ui {

class ChartView;
class ForkLatencyTable;

class ForkLatencyChart : public QWidget {
    Q_OBJECT
public:
    static constexpr int shownForks = 50;  // the default number of bars
    static constexpr int redrawIntervalMs = 200;
    // The legend's names: a warm phase is "handover (warm)"; without phases
    // the bars are one set, or these two when warm clones are shown.
    static QString warmPhaseName(const QString& phase);
    static QString coldTotalName();
    static QString warmTotalName();

    explicit ForkLatencyChart(ForkLatencyTable* table, QWidget* parent = nullptr);
    ChartView* chartView() const { return m_view; }
    // Phases stacked (the default), or one bar of the total per clone.
    void setShowPhases(bool phases);
    bool showsPhases() const;
    void setShownForks(int count);
    int shownForkCount() const { return m_shown; }
    // Redraws now instead of at the next coalescing tick (tests, export).
    void refresh();

Q_SIGNALS:
    void refreshed();

private:
    ForkLatencyTable* m_table;
    ChartView* m_view;
    QCheckBox* m_phases;
    QTimer m_redraw;
    int m_shown = shownForks;
};

}  // namespace hf::ui
