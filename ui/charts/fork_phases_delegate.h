#pragma once
// Draws the Forks table's Phases cell as one bar split into the fork's
// phases (ForkLatencyTable::PhasesRole), in the latency chart's colours:
// every phase at a glance in a column narrow enough for the dock.
#include <QColor>
#include <QList>
#include <QStyledItemDelegate>

namespace hf::ui {

// One colour per phase of ForkLatencyTable::phases() (cold, then warm),
// readable on white and in print; the latency chart uses the same.
const QList<QColor>& phaseColors();

class ForkPhasesDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

}  // namespace hf::ui
