#pragma once
// Every clone forked while the app ran: when, from which parent, warm (a
// template's spare served it) or cold, how long it took and each phase's
// share (docs/fork.md). Feeds the latency chart, the "Forks" table and the
// CSV export. VMs are shown by name; their ids have columns of their own, last.
#include "backend/protocol_types.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QHash>

#include <deque>

class QIODevice;

namespace hf::ui {

class ForkLatencyTable : public QAbstractTableModel {
    Q_OBJECT
public:
    // The phases of docs/fork.md in the order they happen: a cold fork's six
    // (pause ... resume), then a warm spare's two (handover, activate).
    // phases() is both lists, and a row's phaseMs follows it. A phase the
    // daemon adds later is not listed (the total still includes it, and the
    // chart shows the difference as "other"): the CSV's columns stay fixed.
    static const QStringList& coldPhases();
    static const QStringList& warmPhases();
    static const QStringList& phases();
    // Names first, then the numbers, then the ids in columns of their own.
    // Warm: "warm" or "cold" (EditRole: bool). Phases: one column, drawn as
    // a bar of the phases' shares (ForkPhasesDelegate); every phase's ms in
    // its tooltip and the CSV.
    enum Column { Time, Clone, Parent, Origin, Warm, Total, Phases, CloneId, ParentId, ColumnCount };
    enum Role {
        PhasesRole = Qt::UserRole + 1,  // Phases: QList<double>, one per phases(), NaN when not reported
    };
    static constexpr int maxRows = 10000;  // the default row limit

    struct Row {
        QDateTime time;
        VmId parent = 0;
        VmId clone = 0;
        QString name;        // the clone's
        QString parentName;  // empty while unknown
        QString origin;
        bool warm = false;      // a template's warm spare served the fork
        double totalMs = 0;     // NaN when the daemon did not report it
        QList<double> phaseMs;  // one per phases(), NaN when not reported
    };

    explicit ForkLatencyTable(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    // DisplayRole: text (time as local HH:mm:ss, ms with 1 decimal, the
    // phases as "pause 9.1, capture 2.0, …"; the tooltip has more);
    // EditRole: QDateTime, names, ids and doubles for sorting; unreported:
    // invalid.
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const Row& row(int index) const { return m_rows.at(static_cast<size_t>(index)); }
    // At most this many rows; the oldest go first (drops rows now if needed).
    void setRowLimit(int limit);
    int rowLimit() const { return m_limit; }

    // time,parent,clone,name,origin,warm,total_ms,<phase>_ms...,parent_name
    // with warm as true or false. RFC 4180: a header row, CRLF, fields quoted when they hold a comma, a
    // quote or a line break; '.' as the decimal point whatever the locale;
    // times in ISO 8601 with their UTC offset.
    bool writeCsv(QIODevice* out, QString* error) const;

public Q_SLOTS:
    // One row per clone, stamped with the clone's created_unix_ms, or now
    // when the daemon did not send it. Connect to BackendClient::vmForked
    // with qOverload<const ForkEvent&>(&ForkLatencyTable::addFork).
    void addFork(const hf::ui::ForkEvent& fork);
    // VM names, for the parents (vm.booted, vm.list, earlier forks).
    void setVmName(hf::ui::VmId vm, const QString& name);
    void clear();

public:
    // The same, every row stamped `when` (replays, tests).
    void addFork(const hf::ui::ForkEvent& fork, const QDateTime& when);

private:
    void append(const ForkEvent& fork, const QDateTime& when);
    void dropOldest(int count);

    std::deque<Row> m_rows;
    QHash<VmId, QString> m_names;
    int m_limit = maxRows;
};

// One CSV field, quoted when it must be (RFC 4180).
QString csvField(const QString& text);

}  // namespace hf::ui
