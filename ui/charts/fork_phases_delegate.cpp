#include "charts/fork_phases_delegate.h"

#include "charts/fork_latency_table.h"

#include <QApplication>
#include <QPainter>

#include <cmath>

namespace hf::ui {

const QList<QColor>& phaseColors()
{
    // The cold phases, then the warm ones in colours of their own family.
    static const QList<QColor> colors{QColor("#4e79a7"), QColor("#f28e2b"), QColor("#e15759"), QColor("#76b7b2"),
                                      QColor("#59a14f"), QColor("#edc948"), QColor("#b07aa1"), QColor("#ff9da7")};
    return colors;
}

void ForkPhasesDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    // The cell's background and selection as the style draws them, no text.
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    const QList<double> ms = index.data(ForkLatencyTable::PhasesRole).value<QList<double>>();
    double sum = 0;
    for (double v : ms)
        if (!std::isnan(v) && v > 0) sum += v;
    if (sum <= 0) return;
    const QRectF bar = QRectF(option.rect).adjusted(4, option.rect.height() * 0.25, -4, -option.rect.height() * 0.25);
    painter->save();
    double x = bar.left();
    for (qsizetype p = 0; p < ms.size(); ++p) {
        if (std::isnan(ms[p]) || ms[p] <= 0) continue;
        const double w = bar.width() * ms[p] / sum;
        painter->fillRect(QRectF(x, bar.top(), w, bar.height()), phaseColors().value(p, Qt::gray));
        x += w;
    }
    painter->restore();
}

QSize ForkPhasesDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setWidth(120);  // a readable bar, not the text's width
    return size;
}

}  // namespace hf::ui
