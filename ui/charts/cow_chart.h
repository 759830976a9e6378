#pragma once
// Copy-on-write pages over time: shared and private pages, summed over all
// VMs or of one VM. Follows a CowHistory; redraws at most every 250 ms, so
// hundreds of VMs sampled at 20 Hz still cost a few repaints a second.
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
    CowChart(CowHistory* history, QWidget* parent = nullptr);
    ChartView* chartView() const { return m_view; }
    // nullopt: the sum over all VMs.
    void setVm(std::optional<VmId> vm);
    std::optional<VmId> shownVm() const { return m_vm; }
    void refresh();

private:
    CowHistory* m_history;
    ChartView* m_view;
    std::optional<VmId> m_vm;
    QTimer m_redraw;
    int m_shared;
    int m_private;
};

}  // namespace hf::ui
