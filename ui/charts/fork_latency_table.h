#pragma once
// Every clone forked while the app ran: when, from which parent, how long it
// took and each phase's share (docs/fork.md). Feeds the latency chart, the
// "Forks" table and the CSV export.
#include "backend/protocol_types.h"

#include <QAbstractTableModel>
#include <QDateTime>

#include <deque>

class QIODevice;

namespace hf::ui {

class ForkLatencyTable : public QAbstractTableModel {
    Q_OBJECT
public:
    // The phases in the order they happen; a phase the daemon adds later is
    // not a column (the total still includes it).
    static const QStringList& phases();
    enum Column { Time, Parent, Clone, Name, Origin, Total, FirstPhase };
    static constexpr int maxRows = 10000;

    struct Row {
        QDateTime time;
        VmId parent = 0;
        VmId clone = 0;
        QString name;
        QString origin;
        double totalMs = 0;
        QList<double> phaseMs;  // one per phases(), NaN when not reported
    };

    explicit ForkLatencyTable(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const Row& row(int index) const { return m_rows.at(static_cast<size_t>(index)); }
    // RFC 4180, a header row, '.' as the decimal point whatever the locale.
    bool writeCsv(QIODevice* out, QString* error) const;

public Q_SLOTS:
    void addFork(const hf::ui::ForkEvent& fork, const QDateTime& when = QDateTime::currentDateTime());
    void clear();

private:
    std::deque<Row> m_rows;
};

// One CSV field, quoted when it must be.
QString csvField(const QString& text);

}  // namespace hf::ui
