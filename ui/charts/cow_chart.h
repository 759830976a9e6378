#pragma once
// Copy-on-write pages over time: shared and private pages, summed over all
// VMs (the default: hundreds of clones are one pair of lines) or of one VM.
// Follows a CowHistory; redraws at most every 250 ms however many VMs and
// ticks arrive in between.
#include "backend/protocol_types.h"

#include <QTimer>
#include <QWidget>

#include <optional>

namespace hf::ui {

class ChartView;
class CowHistory;

class CowChart : public QWidget {
    Q_OBJECT
public:
    static constexpr int redrawIntervalMs = 250;

    explicit CowChart(CowHistory* history, QWidget* parent = nullptr);
    ChartView* chartView() const { return m_view; }
    // nullopt: the sum over all VMs. Redraws now.
    void setVm(std::optional<VmId> vm);
    std::optional<VmId> shownVm() const { return m_vm; }
    // Redraws now instead of at the next coalescing tick (tests, export).
    void refresh();

Q_SIGNALS:
    void refreshed();

private:
    CowHistory* m_history;
    ChartView* m_view;
    std::optional<VmId> m_vm;
    QTimer m_redraw;
    int m_shared = -1;
    int m_private = -1;
};

}  // namespace hf::ui
