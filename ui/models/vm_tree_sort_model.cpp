#include "models/vm_tree_sort_model.h"

#include "models/vm_tree_model.h"

namespace hf::ui {

VmTreeSortModel::VmTreeSortModel(VmTreeModel* source, QObject* parent) : QSortFilterProxyModel(parent)
{
    setSortRole(VmTreeModel::SortRole);
    // Metrics ticks change numbers every half second: re-sorting on each would
    // make rows jump under the mouse. The order is kept until the next click.
    setDynamicSortFilter(false);
    setSourceModel(source);
}

int VmTreeSortModel::naturalCompare(const QString& a, const QString& b)
{
    qsizetype i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].isDigit() && b[j].isDigit()) {
            qsizetype ei = i, ej = j;
            while (ei < a.size() && a[ei].isDigit()) ++ei;
            while (ej < b.size() && b[ej].isDigit()) ++ej;
            // Compare by value: skip leading zeros, then the longer run is larger.
            QStringView x = QStringView(a).mid(i, ei - i), y = QStringView(b).mid(j, ej - j);
            while (x.size() > 1 && x.front() == u'0') x = x.mid(1);
            while (y.size() > 1 && y.front() == u'0') y = y.mid(1);
            if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
            if (const int c = x.compare(y); c != 0) return c;
            i = ei;
            j = ej;
            continue;
        }
        const QChar ca = a[i].toCaseFolded(), cb = b[j].toCaseFolded();
        if (ca != cb) return ca < cb ? -1 : 1;
        ++i;
        ++j;
    }
    if (i < a.size()) return 1;
    if (j < b.size()) return -1;
    return QString::compare(a, b);  // equal but for case: a stable order still
}

bool VmTreeSortModel::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    const QVariant a = left.data(VmTreeModel::SortRole);
    const QVariant b = right.data(VmTreeModel::SortRole);
    if (a.typeId() == QMetaType::QString && b.typeId() == QMetaType::QString) {
        if (const int c = naturalCompare(a.toString(), b.toString()); c != 0) return c < 0;
    } else if (const QPartialOrdering order = QVariant::compare(a, b);
               order == QPartialOrdering::Less || order == QPartialOrdering::Greater) {
        return order == QPartialOrdering::Less;
    }
    // Ties keep the daemon's order.
    return left.row() < right.row();
}

}  // namespace hf::ui
