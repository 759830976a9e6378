#pragma once
// The VM tree as the view shows it: sorted by a column when the user clicks
// its header (siblings among themselves, clones stay under their parent),
// in the daemon's order (fork order) otherwise. Names sort as people expect
// ("w-2" before "w-10"); numbers by VmTreeModel::SortRole.
#include <QSortFilterProxyModel>

namespace hf::ui {

class VmTreeModel;

class VmTreeSortModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit VmTreeSortModel(VmTreeModel* source, QObject* parent = nullptr);

    // Case-insensitive, runs of digits by their value: "w-2" < "w-10" < "W-11".
    // (QCollator's numeric mode is not there in every locale, C included.)
    static int naturalCompare(const QString& a, const QString& b);

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;
};

}  // namespace hf::ui
