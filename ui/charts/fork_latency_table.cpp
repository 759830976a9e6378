#include "charts/fork_latency_table.h"

#include <QIODevice>

#include <cmath>
#include <limits>

namespace hf::ui {

namespace {

constexpr double unknown = std::numeric_limits<double>::quiet_NaN();

// ISO 8601 with milliseconds and an explicit offset: Qt writes local times
// without one, which a CSV read elsewhere could not place.
QString isoTime(const QDateTime& t)
{
    if (!t.isValid()) return {};
    if (t.timeSpec() == Qt::LocalTime) return t.toOffsetFromUtc(t.offsetFromUtc()).toString(Qt::ISODateWithMs);
    return t.toString(Qt::ISODateWithMs);
}

// QString::number ignores the locale: always '.'.
QString csvNumber(double v) { return std::isnan(v) ? QString() : QString::number(v, 'f', 3); }

}  // namespace

const QStringList& ForkLatencyTable::phases()
{
    static const QStringList names{"pause", "capture", "fork", "rebuild", "restore", "resume"};
    return names;
}

QString csvField(const QString& text)
{
    const bool quote = text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) ||
                       text.contains(QLatin1Char('\n')) || text.contains(QLatin1Char('\r'));
    if (!quote) return text;
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
    return parent.isValid() ? 0 : parentIdColumn() + 1;
}

QVariant ForkLatencyTable::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount()) return {};
    const Row& r = row(index.row());
    const int c = index.column();
    const bool number = c >= Total;
    if (role == Qt::TextAlignmentRole)
        return number ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (c == Time) return QLocale().toString(r.time.toLocalTime(), QLocale::LongFormat);
        if (c == Total && !std::isnan(r.totalMs)) return tr("%1 ms from the request to the clone running").arg(r.totalMs, 0, 'f', 3);
        if (c >= FirstPhase && c < cloneIdColumn() && !std::isnan(r.phaseMs.value(c - FirstPhase, unknown)))
            return tr("%1: %2 ms").arg(phases().value(c - FirstPhase)).arg(r.phaseMs.value(c - FirstPhase), 0, 'f', 3);
        return {};
    }
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    const bool raw = role == Qt::EditRole;  // numbers for sorting and charts
    auto ms = [raw](double v) {
        if (std::isnan(v)) return QVariant();
        return raw ? QVariant(v) : QVariant(QString::number(v, 'f', 1));
    };
    auto name = [](const QString& n, VmId id) { return n.isEmpty() ? QStringLiteral("#%1").arg(id) : n; };
    if (c == cloneIdColumn()) return raw ? QVariant(r.clone) : QVariant(QString::number(r.clone));
    if (c == parentIdColumn()) return raw ? QVariant(r.parent) : QVariant(QString::number(r.parent));
    switch (c) {
    case Time: return raw ? QVariant(r.time) : QVariant(r.time.toLocalTime().toString(QStringLiteral("HH:mm:ss")));
    case Clone: return name(r.name, r.clone);
    case Parent: return name(r.parentName, r.parent);
    case Origin: return r.origin;
    case Total: return ms(r.totalMs);
    default: return ms(r.phaseMs.value(c - FirstPhase, unknown));
    }
}

QVariant ForkLatencyTable::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) return {};
    // Two lines where a unit or a second word would widen the column: the
    // whole table fits a dock.
    static const char* const fixed[] = {QT_TR_NOOP("Time"), QT_TR_NOOP("Clone"), QT_TR_NOOP("Parent"),
                                        QT_TR_NOOP("Origin"), QT_TR_NOOP("Total\nms")};
    if (role == Qt::DisplayRole) {
        if (section < FirstPhase) return tr(fixed[section]);
        if (section == cloneIdColumn()) return tr("ID");
        if (section == parentIdColumn()) return tr("Parent\nID");
        return phases().value(section - FirstPhase) + QStringLiteral("\nms");
    }
    if (role == Qt::ToolTipRole) {
        if (section == Origin) return tr("command: asked from the app or hyperforkctl; guest: the guest's hf-signal fork");
        if (section == Total) return tr("Fork latency, ms: from the request to the clone running");
        if (section >= FirstPhase && section < cloneIdColumn())
            return tr("Time of the fork's %1 phase, ms (docs/fork.md)").arg(phases().value(section - FirstPhase));
        if (section == cloneIdColumn()) return tr("The clone's id in hyperforkd");
        if (section == parentIdColumn()) return tr("The parent's id in hyperforkd");
    }
    return {};
}

void ForkLatencyTable::addFork(const ForkEvent& fork) { append(fork, {}); }

void ForkLatencyTable::setVmName(VmId vm, const QString& name)
{
    if (name.isEmpty() || m_names.value(vm) == name) return;
    m_names.insert(vm, name);
    // Rows that did not know their parent's name yet learn it.
    for (size_t i = 0; i < m_rows.size(); ++i) {
        Row& r = m_rows[i];
        if (r.parent != vm || r.parentName == name) continue;
        r.parentName = name;
        const QModelIndex cell = index(static_cast<int>(i), Parent);
        Q_EMIT dataChanged(cell, cell);
    }
}

void ForkLatencyTable::addFork(const ForkEvent& fork, const QDateTime& when) { append(fork, when); }

void ForkLatencyTable::append(const ForkEvent& fork, const QDateTime& when)
{
    if (fork.clones.isEmpty()) return;
    const QDateTime now = QDateTime::currentDateTime();
    // Only the newest m_limit clones of a huge fork could stay anyway.
    const qsizetype skip = std::max<qsizetype>(0, fork.clones.size() - m_limit);
    const int incoming = static_cast<int>(fork.clones.size() - skip);
    dropOldest(static_cast<int>(m_rows.size()) + incoming - m_limit);  // make room first: never above the limit

    const int first = static_cast<int>(m_rows.size());
    beginInsertRows({}, first, first + incoming - 1);
    for (qsizetype i = skip; i < fork.clones.size(); ++i) {
        const VmInfo& clone = fork.clones[i];
        Row r;
        r.time = when.isValid()             ? when
                 : clone.createdUnixMs > 0 ? QDateTime::fromMSecsSinceEpoch(clone.createdUnixMs)
                                           : now;
        r.parent = fork.parent;
        r.parentName = m_names.value(fork.parent);
        r.clone = clone.id;
        r.name = clone.name;
        if (!clone.name.isEmpty()) m_names.insert(clone.id, clone.name);  // a parent later
        r.origin = clone.origin.isEmpty() ? fork.origin : clone.origin;
        r.totalMs = clone.forkLatencyMs.value_or(unknown);
        r.phaseMs.fill(unknown, phases().size());
        for (const ForkPhase& p : clone.forkPhases) {
            const qsizetype column = phases().indexOf(p.name);
            if (column >= 0) r.phaseMs[column] = p.ms;
        }
        m_rows.push_back(std::move(r));
    }
    endInsertRows();
}

void ForkLatencyTable::dropOldest(int count)
{
    count = std::min(count, static_cast<int>(m_rows.size()));
    if (count <= 0) return;
    beginRemoveRows({}, 0, count - 1);
    m_rows.erase(m_rows.begin(), m_rows.begin() + count);
    endRemoveRows();
}

void ForkLatencyTable::setRowLimit(int limit)
{
    m_limit = std::max(1, limit);
    dropOldest(static_cast<int>(m_rows.size()) - m_limit);
}

void ForkLatencyTable::clear()
{
    if (m_rows.empty()) return;
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

bool ForkLatencyTable::writeCsv(QIODevice* out, QString* error) const
{
    QStringList header{"time", "parent", "clone", "name", "origin", "total_ms"};
    for (const QString& p : phases()) header << p + "_ms";
    header << "parent_name";
    QByteArray bytes = header.join(',').toUtf8() + "\r\n";
    for (const Row& r : m_rows) {
        QStringList fields{isoTime(r.time),  QString::number(r.parent), QString::number(r.clone),
                           csvField(r.name), csvField(r.origin),        csvNumber(r.totalMs)};
        for (double ms : r.phaseMs) fields << csvNumber(ms);
        fields << csvField(r.parentName);
        bytes += fields.join(',').toUtf8() + "\r\n";
    }
    if (out->write(bytes) != bytes.size()) {
        if (error) *error = out->errorString();
        return false;
    }
    return true;
}

}  // namespace hf::ui
