#pragma once
// A CSV file's rows as a read-only table, every column the file has (the
// benchmark's summary.csv and runs.csv under its charts). Numbers are
// right-aligned; a cell's tooltip names its line in the file.
#include "charts/benchmark_csv.h"

#include <QAbstractTableModel>

namespace hf::ui {

class CsvTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit CsvTableModel(QObject* parent = nullptr);

    void setTable(const CsvTable& table);
    const CsvTable& table() const { return m_table; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    CsvTable m_table;
};

}  // namespace hf::ui
