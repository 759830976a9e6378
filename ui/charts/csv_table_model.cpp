#include "charts/csv_table_model.h"

#include <QFileInfo>
#include <QLocale>

namespace hf::ui {

CsvTableModel::CsvTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void CsvTableModel::setTable(const CsvTable& table)
{
    beginResetModel();
    m_table = table;
    endResetModel();
}

int CsvTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_table.rows.size());
}

int CsvTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_table.header.size());
}

QVariant CsvTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid)) return {};
    const QString& cell = m_table.rows[index.row()][index.column()];
    switch (role) {
    case Qt::DisplayRole: return cell;
    case Qt::TextAlignmentRole: {
        bool number = false;
        QLocale::c().toDouble(cell, &number);
        return QVariant::fromValue(Qt::AlignVCenter | (number ? Qt::AlignRight : Qt::AlignLeft));
    }
    case Qt::ToolTipRole:
        return tr("%1, line %2").arg(QFileInfo(m_table.path).fileName()).arg(m_table.lines[index.row()]);
    default: return {};
    }
}

QVariant CsvTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= m_table.header.size()) return {};
    if (role == Qt::DisplayRole) return m_table.header[section];
    return {};
}

}  // namespace hf::ui
