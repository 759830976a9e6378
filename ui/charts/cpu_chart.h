#pragma once
// CPU use over time from the daemon's samples of each VMM's CPU time: each
// VM as a line (the default), all VMs together, or the VMs selected in the
// tree.
// 100 % is one host CPU busy (a VM with several vCPUs can pass it).
#include "charts/metrics_chart.h"

namespace hf::ui {

class CpuChart : public MetricsChart {
    Q_OBJECT
public:
    explicit CpuChart(MetricsHistory* history, QWidget* parent = nullptr);

protected:
    QString draw(const Selection& selection) override;
};

}  // namespace hf::ui
