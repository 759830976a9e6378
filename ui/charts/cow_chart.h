#pragma once
// Memory over time, in MiB, answering what sharing copy-on-write buys:
// - all VMs: the host memory they use (PSS summed: a shared page counted
//   once) against what they would use without sharing (their resident
//   guest memory summed); the gap is what sharing saves;
// - one VM: its memory still shared with its relatives, its private memory
//   (written since its fork) and its PSS;
// - each VM, or the VMs selected in the tree: one PSS line each.
// Never shared pages summed over VMs: four VMs sharing one 116 MiB image
// would count it four times.
#include "charts/metrics_chart.h"

namespace hf::ui {

class CowChart : public MetricsChart {
    Q_OBJECT
public:
    explicit CowChart(MetricsHistory* history, QWidget* parent = nullptr);

protected:
    QString draw(const Selection& selection) override;
};

}  // namespace hf::ui
