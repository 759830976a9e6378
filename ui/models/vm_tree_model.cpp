#include "models/vm_tree_model.h"

#include "backend/display_text.h"

#include <QDateTime>
#include <QIcon>
#include <QLocale>

namespace hf::ui {

// Indexes carry their parent's VmId as internalId (0: top level), so a node
// is found as siblingsOf(internalId)[row] and no pointer outlives a removal.

VmTreeModel::VmTreeModel(QObject* parent) : QAbstractItemModel(parent)
{
    m_uptime.setInterval(1000);
    connect(&m_uptime, &QTimer::timeout, this, &VmTreeModel::tickUptime);
}

QIcon VmTreeModel::stateIcon(const QString& state)
{
    static const QStringList known{"booting", "running", "paused", "stopping"};
    return QIcon(QStringLiteral(":/icons/state-%1.svg").arg(known.contains(state) ? state : QStringLiteral("unknown")));
}

QList<VmId>& VmTreeModel::siblingsOf(VmId parent)
{
    return parent == 0 ? m_roots : m_nodes[parent].children;
}

int VmTreeModel::rowOf(VmId vm) const
{
    const auto it = m_nodes.constFind(vm);
    if (it == m_nodes.cend()) return -1;
    const QList<VmId>& siblings = it->parent == 0 ? m_roots : m_nodes.value(it->parent).children;
    return static_cast<int>(siblings.indexOf(vm));
}

QModelIndex VmTreeModel::parentIndexOf(VmId parent) const
{
    return parent == 0 ? QModelIndex() : indexOf(parent);
}

QModelIndex VmTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (column < 0 || column >= ColumnCount || row < 0) return {};
    const VmId parentId = parent.isValid() ? vmAt(parent) : 0;
    if (parent.isValid() && parent.column() != 0) return {};
    const QList<VmId>& siblings = parentId == 0 ? m_roots : m_nodes.value(parentId).children;
    if (row >= siblings.size()) return {};
    return createIndex(row, column, static_cast<quintptr>(parentId));
}

QModelIndex VmTreeModel::parent(const QModelIndex& child) const
{
    if (!child.isValid()) return {};
    const VmId parentId = static_cast<VmId>(child.internalId());
    if (parentId == 0) return {};
    return indexOf(parentId);
}

int VmTreeModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid()) return static_cast<int>(m_roots.size());
    if (parent.column() != 0) return 0;
    return static_cast<int>(m_nodes.value(vmAt(parent)).children.size());
}

int VmTreeModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QModelIndex VmTreeModel::indexOf(VmId vm, int column) const
{
    const int row = rowOf(vm);
    if (row < 0) return {};
    return createIndex(row, column, static_cast<quintptr>(m_nodes.value(vm).parent));
}

VmId VmTreeModel::vmAt(const QModelIndex& index) const
{
    if (!index.isValid() || index.model() != this) return 0;
    const VmId parentId = static_cast<VmId>(index.internalId());
    const QList<VmId>& siblings = parentId == 0 ? m_roots : m_nodes.value(parentId).children;
    return index.row() < siblings.size() ? siblings.at(index.row()) : 0;
}

const VmInfo* VmTreeModel::vm(VmId vm) const
{
    const auto it = m_nodes.constFind(vm);
    return it == m_nodes.cend() ? nullptr : &it->info;
}

QList<VmId> VmTreeModel::children(VmId vm) const { return m_nodes.value(vm).children; }

bool VmTreeModel::hasPausedVms() const
{
    for (const Node& n : m_nodes)
        if (n.info.state == "paused" || n.info.spares) return true;
    return false;
}

QString VmTreeModel::templateText(const SparesInfo& spares)
{
    if (spares.wanted == 0) return tr("template · no spares");
    return tr("template · %1/%2 spares ready").arg(spares.ready).arg(spares.wanted);
}

namespace {

QString formatBytes(qint64 bytes)
{
    if (bytes >= (1ll << 30) && bytes % (1ll << 30) == 0) return QStringLiteral("%1 GiB").arg(bytes >> 30);
    return QStringLiteral("%1 MiB").arg(bytes >> 20);
}

// An overlay is often a few KiB (a guest that wrote a file or two): KiB
// below a MiB, MiB above.
QString overlayText(qint64 bytes)
{
    if (bytes < (1ll << 20)) return QStringLiteral("%1 KiB").arg(QLocale().toString((bytes + 1023) >> 10));
    return mibText(static_cast<double>(bytes) / 1024.0);
}

QString diskLine(const DiskInfo& d)
{
    return VmTreeModel::tr("disk %1: %2 — %3%4, overlay %5")
        .arg(d.index)
        .arg(d.path, formatBytes(d.capacity), d.readonly ? VmTreeModel::tr(", read-only") : QString(),
             overlayText(d.overlayBytes));
}

}  // namespace

QVariant VmTreeModel::display(const Node& node, int column) const
{
    const VmInfo& vm = node.info;
    switch (column) {
    case Name: return vm.name;
    case Id: return QString::number(vm.id);
    case State: {
        QString state = vm.spares                            ? templateText(*vm.spares)
                        : vm.state == "running" && !vm.ready ? tr("running (booting)")
                                                             : vm.state;
        if (!vm.responsive) state += tr(" (not responding)");
        if (node.armed > 0) state += tr(" · armed ×%1").arg(node.armed);
        return state;
    }
    case Cpu: return node.cpuPercent ? QStringLiteral("%1 %").arg(*node.cpuPercent, 0, 'f', 0) : QString();
    case Memory: return vm.memoryBytes > 0 ? formatBytes(vm.memoryBytes) : QString();
    case Shared: return node.sample ? mibText(static_cast<double>(node.sample->sharedPages * pageKib)) : QString();
    case Private: return node.sample ? mibText(static_cast<double>(node.sample->privatePages * pageKib)) : QString();
    case Disk: {
        const std::optional<qint64> bytes = overlayBytes(node);
        return bytes ? overlayText(*bytes) : QString();
    }
    case ForkLatency:
        if (!vm.forkLatencyMs) return QString();
        return vm.forkWarm ? tr("%1 ms (warm)").arg(*vm.forkLatencyMs, 0, 'f', 1)
                           : QStringLiteral("%1 ms").arg(*vm.forkLatencyMs, 0, 'f', 1);
    case Cpus: return vm.cpus > 0 ? QVariant(vm.cpus) : QVariant();
    case Uptime:
        return vm.createdUnixMs > 0 ? durationText(QDateTime::currentMSecsSinceEpoch() - vm.createdUnixMs) : QString();
    default: return {};
    }
}

QVariant VmTreeModel::sortKey(const Node& node, int column) const
{
    const VmInfo& vm = node.info;
    switch (column) {
    case Name: return vm.name;
    case Id: return vm.id;
    case State: return vm.spares ? QStringLiteral("template") : vm.state;
    case Cpu: return node.cpuPercent.value_or(-1.0);
    case Memory: return vm.memoryBytes;
    case Shared: return node.sample ? node.sample->sharedPages : -1;
    case Private: return node.sample ? node.sample->privatePages : -1;
    case Disk: return overlayBytes(node).value_or(-1);
    case ForkLatency: return vm.forkLatencyMs.value_or(-1.0);
    case Cpus: return vm.cpus;
    case Uptime: return -vm.createdUnixMs;
    default: return {};
    }
}

QVariant VmTreeModel::toolTip(const Node& node, int column) const
{
    const VmInfo& vm = node.info;
    if (column == ForkLatency && vm.forkLatencyMs) {
        // One line per phase, in the order they happen (docs/fork.md).
        QStringList lines{vm.forkWarm ? tr("Forked from a warm spare of its parent (a clone built ahead, "
                                           "parked until this fork took it) in %1 ms:")
                                            .arg(*vm.forkLatencyMs, 0, 'f', 1)
                                      : tr("Forked from its parent in %1 ms:").arg(*vm.forkLatencyMs, 0, 'f', 1)};
        for (const ForkPhase& p : vm.forkPhases) lines << QStringLiteral("  %1 %2 ms").arg(p.name).arg(p.ms, 0, 'f', 1);
        if (!vm.origin.isEmpty())
            lines << (vm.origin == "guest" ? tr("asked by the guest (hf-signal fork)") : tr("asked from the app or hyperforkctl"));
        return lines.join('\n');
    }
    if (column == State && vm.spares)
        return tr("%1 is kept paused as a template. Its warm spares are clones built ahead of any request and "
                  "parked, so a fork of it takes one and runs at once instead of copying the VM then. "
                  "%2 of %3 ready; %4 served from spares so far. Resume ends template mode and drops the spares.")
            .arg(vm.name)
            .arg(vm.spares->ready)
            .arg(vm.spares->wanted)
            .arg(countText(vm.spares->served, tr("fork"), tr("forks")));
    if (column == State && node.armed > 0)
        return tr("Armed: the guest's next hf-signal fork makes %1.").arg(countText(node.armed, tr("clone"), tr("clones")));
    if ((column == Shared || column == Private) && node.sample)
        return tr("%1 shared copy-on-write with its relatives, %2 its own (%3 and %4 pages of 4 KiB)")
            .arg(mibText(static_cast<double>(node.sample->sharedPages * pageKib)),
                 mibText(static_cast<double>(node.sample->privatePages * pageKib)))
            .arg(QLocale().toString(node.sample->sharedPages), QLocale().toString(node.sample->privatePages));
    if (column == Disk && !vm.disks.isEmpty()) {
        QStringList lines{tr("What %1 wrote to its disks, in its own copy-on-write overlays (the images are never "
                             "written):").arg(vm.name)};
        for (const DiskInfo& d : vm.disks) lines << QStringLiteral("  ") + diskLine(d);
        if (node.sample && node.sample->overlayBytes && *node.sample->overlayBytes != vm.overlayBytes())
            lines << tr("(%1 in all as of the last sample; per disk as of the fork or boot)")
                         .arg(overlayText(*node.sample->overlayBytes));
        return lines.join('\n');
    }
    QString tip = tr("%1 (VM %2): pid %3").arg(vm.name).arg(vm.id).arg(vm.pid);
    if (!vm.pty.isEmpty()) tip += tr(", console %1").arg(vm.pty);
    return tip;
}

QVariant VmTreeModel::data(const QModelIndex& index, int role) const
{
    const VmId id = vmAt(index);
    const auto it = m_nodes.constFind(id);
    if (it == m_nodes.cend()) return {};
    const Node& node = *it;
    switch (role) {
    case Qt::DisplayRole: return display(node, index.column());
    case Qt::DecorationRole: return index.column() == State ? QVariant(stateIcon(node.info.state)) : QVariant();
    case Qt::TextAlignmentRole:
        return index.column() == Id || index.column() >= Cpu ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case Qt::ToolTipRole: return toolTip(node, index.column());
    case VmIdRole: return id;
    case StateRole: return node.info.state;
    case PtyRole: return node.info.pty;
    case SortRole: return sortKey(node, index.column());
    case ArmedRole: return node.armed;
    case HasDisksRole: return !node.info.disks.isEmpty();
    case TemplateRole: return node.info.spares.has_value();
    default: return {};
    }
}

std::optional<qint64> VmTreeModel::overlayBytes(const Node& node)
{
    if (node.info.disks.isEmpty()) return std::nullopt;
    if (node.sample && node.sample->overlayBytes) return node.sample->overlayBytes;
    return node.info.overlayBytes();
}

QVariant VmTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) return {};
    static const char* const names[ColumnCount] = {
        QT_TR_NOOP("Name"),   QT_TR_NOOP("ID"),      QT_TR_NOOP("State"),        QT_TR_NOOP("CPU"),   QT_TR_NOOP("Memory"),
        QT_TR_NOOP("Shared"), QT_TR_NOOP("Private"), QT_TR_NOOP("Disk"),         QT_TR_NOOP("Fork latency"),
        QT_TR_NOOP("vCPUs"),  QT_TR_NOOP("Uptime")};
    static const char* const tips[ColumnCount] = {
        QT_TR_NOOP("The VM's name; clones are listed under the VM they were forked from"),
        QT_TR_NOOP("hyperforkd's number for the VM (hyperforkctl takes it, or the name)"),
        QT_TR_NOOP("booting, running, paused or stopping; \"template\": kept paused, with warm spares (clones "
                   "built ahead) ready to serve its forks; \"armed\": the guest's next hf-signal fork makes clones"),
        QT_TR_NOOP("CPU use over the last sample interval, from the VMM's CPU time (100 % = one host CPU busy)"),
        QT_TR_NOOP("Guest RAM size"),
        QT_TR_NOOP("Guest memory still shared copy-on-write with its parent or clones: one copy in host RAM for all "
                   "of them (resident pages, in MiB)"),
        QT_TR_NOOP("Guest memory only this VM has: pages it (or its relatives) wrote since the fork, each a copy of "
                   "its own (in MiB)"),
        QT_TR_NOOP("What the VM wrote to its disks: the size of its copy-on-write overlays (a clone starts with its "
                   "parent's); the tooltip lists each disk"),
        QT_TR_NOOP("How long the fork that made this clone took (\"warm\": a template's spare served it); the "
                   "tooltip splits it into its phases"),
        QT_TR_NOOP("Virtual CPUs"),
        QT_TR_NOOP("Time since the VM was booted or forked")};
    if (role == Qt::DisplayRole) return tr(names[section]);
    if (role == Qt::ToolTipRole) return tr(tips[section]);
    if (role == Qt::TextAlignmentRole)
        return section == Id || section >= Cpu ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    return {};
}

void VmTreeModel::resetFromList(const QList<VmInfo>& vms)
{
    beginResetModel();
    m_nodes.clear();
    m_roots.clear();
    // vm.list is depth-first, parents before children, siblings in fork order.
    for (const VmInfo& vm : vms) {
        Node node{vm, vm.parent && m_nodes.contains(*vm.parent) ? *vm.parent : 0, {}, {}};
        siblingsOf(node.parent).append(vm.id);
        m_nodes.insert(vm.id, node);
    }
    endResetModel();
    if (!m_nodes.isEmpty()) m_uptime.start();
}

void VmTreeModel::insertNode(const VmInfo& info)
{
    // A parent we do not know (an event raced a reset): show it at the top.
    const VmId parent = info.parent && m_nodes.contains(*info.parent) ? *info.parent : 0;
    const int row = static_cast<int>(siblingsOf(parent).size());
    beginInsertRows(parentIndexOf(parent), row, row);
    siblingsOf(parent).append(info.id);
    m_nodes.insert(info.id, Node{info, parent, {}, {}});
    endInsertRows();
    m_uptime.start();
}

void VmTreeModel::addVm(const VmInfo& vm)
{
    if (m_nodes.contains(vm.id))
        updateVm(vm);
    else
        insertNode(vm);
}

void VmTreeModel::addFork(const ForkEvent& fork)
{
    // The guest used its arming (armed once: vm.fork's when:"on-guest-signal").
    if (fork.origin == "guest") setArmed(fork.parent, 0);
    for (const VmInfo& clone : fork.clones) {
        VmInfo info = clone;
        if (!info.parent) info.parent = fork.parent;
        addVm(info);
    }
}

void VmTreeModel::moveNode(VmId vm, VmId newParent)
{
    Node& node = m_nodes[vm];
    const int from = rowOf(vm);
    const int to = static_cast<int>(siblingsOf(newParent).size());
    if (!beginMoveRows(parentIndexOf(node.parent), from, from, parentIndexOf(newParent), to)) return;
    siblingsOf(node.parent).removeAt(from);
    siblingsOf(newParent).append(vm);
    node.parent = newParent;
    endMoveRows();
}

void VmTreeModel::updateVm(const VmInfo& vm)
{
    const auto it = m_nodes.find(vm.id);
    if (it == m_nodes.end()) {
        insertNode(vm);
        return;
    }
    VmInfo info = vm;
    // vm.state may carry a partial object: keep what it does not say.
    if (!info.forkLatencyMs) {
        info.forkLatencyMs = it->info.forkLatencyMs;
        info.forkPhases = it->info.forkPhases;
        info.forkWarm = it->info.forkWarm;
    }
    if (info.createdUnixMs == 0) info.createdUnixMs = it->info.createdUnixMs;
    if (info.memoryBytes == 0) info.memoryBytes = it->info.memoryBytes;
    if (info.cpus == 0) info.cpus = it->info.cpus;
    if (info.name.isEmpty()) info.name = it->info.name;
    if (info.pty.isEmpty()) info.pty = it->info.pty;
    if (info.disks.isEmpty()) info.disks = it->info.disks;  // a VM's disks never go away
    info.ready = info.ready || it->info.ready;
    it->info = info;
    const VmId newParent = info.parent && m_nodes.contains(*info.parent) ? *info.parent : 0;
    // Never under itself or its own descendant: the daemon would not say so,
    // but a confused sender must not corrupt the tree.
    bool cycle = false;
    for (VmId p = newParent; p != 0; p = m_nodes.value(p).parent)
        if (p == vm.id) cycle = true;
    if (newParent != it->parent && !cycle) moveNode(vm.id, newParent);
    emitRowChanged(vm.id, 0, ColumnCount - 1);
}

void VmTreeModel::setReady(VmId vm, double)
{
    const auto it = m_nodes.find(vm);
    if (it == m_nodes.end() || it->info.ready) return;
    it->info.ready = true;
    emitRowChanged(vm, State, State);
}

void VmTreeModel::removeVm(const ExitInfo& exit)
{
    const auto it = m_nodes.constFind(exit.vm);
    if (it == m_nodes.cend()) return;
    // Its children move up to its parent, as the daemon moves them to the
    // nearest live ancestor (a vm.state follows with the daemon's word).
    const VmId parent = it->parent;
    const QList<VmId> kids = it->children;
    for (VmId child : kids) moveNode(child, parent);
    const int row = rowOf(exit.vm);
    beginRemoveRows(parentIndexOf(parent), row, row);
    siblingsOf(parent).removeAt(row);
    m_nodes.remove(exit.vm);
    endRemoveRows();
    if (m_nodes.isEmpty()) m_uptime.stop();
}

void VmTreeModel::applyMetrics(const MetricsSample& sample)
{
    for (const VmSample& s : sample.samples) {
        const auto it = m_nodes.find(s.vm);
        if (it == m_nodes.end()) continue;
        // CPU use: the CPU time it took since the sample before, per wall time.
        if (it->sample && sample.tUnixMs > it->sampleUnixMs && s.cpuMs >= it->sample->cpuMs)
            it->cpuPercent = (s.cpuMs - it->sample->cpuMs) * 100.0 / static_cast<double>(sample.tUnixMs - it->sampleUnixMs);
        it->sample = s;
        it->sampleUnixMs = sample.tUnixMs;
        emitRowChanged(s.vm, Cpu, Disk);
    }
}

void VmTreeModel::setArmed(VmId vm, int count)
{
    const auto it = m_nodes.find(vm);
    if (it == m_nodes.end() || it->armed == count) return;
    it->armed = count;
    emitRowChanged(vm, State, State);
}

void VmTreeModel::updateSpares(const QList<VmInfo>& vms)
{
    for (const VmInfo& vm : vms) {
        const auto it = m_nodes.find(vm.id);
        if (it == m_nodes.end() || it->info.spares == vm.spares) continue;
        it->info.spares = vm.spares;
        emitRowChanged(vm.id, State, State);
    }
}

void VmTreeModel::clear()
{
    beginResetModel();
    m_nodes.clear();
    m_roots.clear();
    endResetModel();
    m_uptime.stop();
}

void VmTreeModel::emitRowChanged(VmId vm, int firstColumn, int lastColumn)
{
    const QModelIndex first = indexOf(vm, firstColumn);
    if (first.isValid()) Q_EMIT dataChanged(first, indexOf(vm, lastColumn));
}

void VmTreeModel::tickUptime()
{
    // One dataChanged per sibling list, not per VM: hundreds of clones tick together.
    QList<VmId> parents{0};
    for (auto it = m_nodes.cbegin(); it != m_nodes.cend(); ++it)
        if (!it->children.isEmpty()) parents.append(it.key());
    for (VmId p : parents) {
        const QList<VmId>& kids = p == 0 ? m_roots : m_nodes.value(p).children;
        if (kids.isEmpty()) continue;
        const QModelIndex parentIndex = parentIndexOf(p);
        Q_EMIT dataChanged(index(0, Uptime, parentIndex), index(static_cast<int>(kids.size()) - 1, Uptime, parentIndex),
                           {Qt::DisplayRole});
    }
}

}  // namespace hf::ui
