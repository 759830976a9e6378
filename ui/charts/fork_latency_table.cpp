#include "charts/fork_latency_table.h"

#include <QIODevice>

#include <cmath>
#include <limits>

namespace hf::ui {

const QStringList& ForkLatencyTable::phases()
{
    static const QStringList names{"pause", "capture", "fork", "rebuild", "restore", "resume"};
    return names;
}

QString csvField(const QString& text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')) &&
        !text.contains(QLatin1Char('\r')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

ForkLatencyTable::ForkLatencyTable(QObject* parent) : QAbstractTableModel(parent) {}

int ForkLatencyTable::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int ForkLatencyTable::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : FirstPhase + static_cast<int>(phases().size());
}

QVariant ForkLatencyTable::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const Row& r = row(index.row());
    const int c = index.column();
    if (role == Qt::TextAlignmentRole) return c >= Total ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    const bool raw = role == Qt::EditRole;  // numbers for sorting and charts
    switch (c) {
    case Time: return raw ? QVariant(r.time) : QVariant(r.time.toString("HH:mm:ss.zzz"));
    case Parent: return r.parent;
    case Clone: return r.clone;
    case Name: return r.name;
    case Origin: return r.origin;
    case Total: return raw ? QVariant(r.totalMs) : QVariant(QString::number(r.totalMs, 'f', 2));
    default: {
        const double ms = r.phaseMs.value(c - FirstPhase, std::numeric_limits<double>::quiet_NaN());
        if (std::isnan(ms)) return {};
        return raw ? QVariant(ms) : QVariant(QString::number(ms, 'f', 2));
    }
    }
}

QVariant ForkLatencyTable::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    static const char* const fixed[] = {"Time", "Parent", "Clone", "Name", "Origin", "Total ms"};
    if (section < FirstPhase) return tr(fixed[section]);
    return phases().value(section - FirstPhase) + QStringLiteral(" ms");
}

void ForkLatencyTable::addFork(const ForkEvent& fork, const QDateTime& when)
{
    if (fork.clones.isEmpty()) return;
    const int incoming = static_cast<int>(fork.clones.size());
    // Drop the oldest first so the table never holds more than maxRows.
    const int overflow = static_cast<int>(m_rows.size()) + incoming - maxRows;
    if (overflow > 0) {
        const int drop = std::min(overflow, static_cast<int>(m_rows.size()));
        if (drop > 0) {
            beginRemoveRows({}, 0, drop - 1);
            m_rows.erase(m_rows.begin(), m_rows.begin() + drop);
            endRemoveRows();
        }
    }
    QList<Row> rows;
    for (const VmInfo& clone : fork.clones) {
        Row r;
        r.time = when;
        r.parent = fork.parent;
        r.clone = clone.id;
        r.name = clone.name;
        r.origin = clone.origin.isEmpty() ? fork.origin : clone.origin;
        r.totalMs = clone.forkLatencyMs.value_or(0);
        for (const QString& phase : phases()) {
            double ms = std::numeric_limits<double>::quiet_NaN();
            for (const ForkPhase& p : clone.forkPhases)
                if (p.name == phase) ms = p.ms;
            r.phaseMs.append(ms);
        }
        rows.append(r);
    }
    if (rows.size() > maxRows) rows = rows.mid(rows.size() - maxRows);
    const int first = static_cast<int>(m_rows.size());
    beginInsertRows({}, first, first + static_cast<int>(rows.size()) - 1);
    for (const Row& r : rows) m_rows.push_back(r);
    endInsertRows();
}

void ForkLatencyTable::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

bool ForkLatencyTable::writeCsv(QIODevice* out, QString* error) const
{
    QStringList header{"time", "parent", "clone", "name", "origin", "total_ms"};
    for (const QString& p : phases()) header << p + "_ms";
    QByteArray bytes = header.join(',').toUtf8() + "\r\n";
    // QString::number is locale-independent: always '.'.
    auto number = [](double v) { return std::isnan(v) ? QString() : QString::number(v, 'f', 3); };
    for (const Row& r : m_rows) {
        QStringList fields{r.time.toString(Qt::ISODateWithMs), QString::number(r.parent), QString::number(r.clone),
                           csvField(r.name), csvField(r.origin), number(r.totalMs)};
        for (double ms : r.phaseMs) fields << number(ms);
        bytes += fields.join(',').toUtf8() + "\r\n";
    }
    if (out->write(bytes) != bytes.size()) {
        *error = out->errorString();
        return false;
    }
    return true;
}

}  // namespace hf::ui
