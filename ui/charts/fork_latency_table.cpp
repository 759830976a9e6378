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

const QStringList& ForkLatencyTable::coldPhases()
{
    static const QStringList names{"pause", "capture", "fork", "rebuild", "restore", "resume"};
    return names;
}

const QStringList& ForkLatencyTable::warmPhases()
{
    static const QStringList names{"handover", "activate"};
    return names;
}

const QStringList& ForkLatencyTable::phases()
{
    static const QStringList names = coldPhases() + warmPhases();
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
    return parent.isValid() ? 0 : ColumnCount;
}

namespace {

// "pause 9.1 ms", one per reported phase.
QStringList phaseTexts(const ForkLatencyTable::Row& r, int decimals)
{
    QStringList parts;
    for (qsizetype p = 0; p < ForkLatencyTable::phases().size(); ++p)
        if (const double ms = r.phaseMs.value(p, unknown); !std::isnan(ms))
            parts << QStringLiteral("%1 %2 ms").arg(ForkLatencyTable::phases()[p]).arg(ms, 0, 'f', decimals);
    return parts;
}

}  // namespace

QVariant ForkLatencyTable::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount()) return {};
    const Row& r = row(index.row());
    const int c = index.column();
    if (role == Qt::TextAlignmentRole)
        return c == Total || c == CloneId || c == ParentId ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                           : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == PhasesRole && c == Phases) return QVariant::fromValue(r.phaseMs);
    if (role == Qt::ToolTipRole) {
        if (c == Time) return QLocale().toString(r.time.toLocalTime(), QLocale::LongFormat);
        if (c == Warm)
            return r.warm ? tr("A warm spare served this fork: a clone its template built ahead and parked, "
                               "handed over and activated on request")
                          : tr("A cold fork: the parent paused, captured and forked on request");
        if (c == Total && !std::isnan(r.totalMs)) return tr("%1 ms from the request to the clone running").arg(r.totalMs, 0, 'f', 3);
        if (c == Phases) {
            const QStringList parts = phaseTexts(r, 3);
            return parts.isEmpty() ? tr("The daemon reported no phases") : parts.join('\n');
        }
        return {};
    }
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    const bool raw = role == Qt::EditRole;  // numbers for sorting and charts
    auto name = [](const QString& n, VmId id) { return n.isEmpty() ? QStringLiteral("#%1").arg(id) : n; };
    switch (c) {
    case Time: return raw ? QVariant(r.time) : QVariant(r.time.toLocalTime().toString(QStringLiteral("HH:mm:ss")));
    case Clone: return name(r.name, r.clone);
    case Parent: return name(r.parentName, r.parent);
    case Origin: return r.origin;
    case Warm: return raw ? QVariant(r.warm) : QVariant(r.warm ? tr("warm") : tr("cold"));
    case Total:
        if (std::isnan(r.totalMs)) return {};
        return raw ? QVariant(r.totalMs) : QVariant(QString::number(r.totalMs, 'f', 1));
    case Phases: return phaseTexts(r, 1).join(QStringLiteral(", "));
    case CloneId: return raw ? QVariant(r.clone) : QVariant(QString::number(r.clone));
    case ParentId: return raw ? QVariant(r.parent) : QVariant(QString::number(r.parent));
    default: return {};
    }
}

QVariant ForkLatencyTable::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount()) return {};
    static const char* const names[ColumnCount] = {QT_TR_NOOP("Time"),     QT_TR_NOOP("Clone"),  QT_TR_NOOP("Parent"),
                                                   QT_TR_NOOP("Origin"),   QT_TR_NOOP("Warm"),   QT_TR_NOOP("Total ms"),
                                                   QT_TR_NOOP("Phases"),   QT_TR_NOOP("ID"),     QT_TR_NOOP("Parent ID")};
    if (role == Qt::DisplayRole) return tr(names[section]);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Origin: return tr("command: asked from the app or hyperforkctl; guest: the guest's hf-signal fork");
        case Warm:
            return tr("warm: a template's spare (a clone built ahead) served the fork; cold: forked on request");
        case Total: return tr("Fork latency: from the request to the clone running");
        case Phases:
            return tr("The fork's phases, each as its share of the total: cold %1; warm %2. The ms are in the "
                      "tooltip and the CSV (docs/fork.md)")
                .arg(coldPhases().join(QStringLiteral(", ")), warmPhases().join(QStringLiteral(", ")));
        case CloneId: return tr("The clone's id in hyperforkd");
        case ParentId: return tr("The parent's id in hyperforkd");
        default: return {};
        }
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
        r.warm = clone.forkWarm;
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
    QStringList header{"time", "parent", "clone", "name", "origin", "warm", "total_ms"};
    for (const QString& p : phases()) header << p + "_ms";
    header << "parent_name";
    QByteArray bytes = header.join(',').toUtf8() + "\r\n";
    for (const Row& r : m_rows) {
        QStringList fields{isoTime(r.time),
                           QString::number(r.parent),
                           QString::number(r.clone),
                           csvField(r.name),
                           csvField(r.origin),
                           r.warm ? QStringLiteral("true") : QStringLiteral("false"),
                           csvNumber(r.totalMs)};
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
