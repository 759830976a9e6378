#pragma once
// The tree of VMs as the daemon reports it: reference VMs at the top, clones
// under their parents to any depth, siblings in fork order. Updated only from
// BackendClient's typed signals (connect them to the slots below); the view
// never talks to the backend.
#include "backend/protocol_types.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QTimer>

namespace hf::ui {

class VmTreeModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { Name, Id, State, Cpu, Memory, Shared, Private, Disk, ForkLatency, Cpus, Uptime, ColumnCount };
    enum Role {
        VmIdRole = Qt::UserRole + 1,  // VmId
        StateRole,                    // "booting", "running", ...
        PtyRole,                      // the console's pty path
        SortRole,                     // a number or string that sorts right
        ArmedRole,                    // clones the guest's next hf-signal fork makes; 0: not armed
        HasDisksRole,                 // bool: the VM has disks (Save Disk As…)
        TemplateRole,                 // bool: kept paused as a template (its spares in the State column)
    };

    explicit VmTreeModel(QObject* parent = nullptr);

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    QModelIndex indexOf(VmId vm, int column = 0) const;
    VmId vmAt(const QModelIndex& index) const;
    const VmInfo* vm(VmId vm) const;
    int vmCount() const { return static_cast<int>(m_nodes.size()); }
    QList<VmId> roots() const { return m_roots; }
    QList<VmId> children(VmId vm) const;
    // Paused VMs may be templates, or become one (a fork with parent
    // "pause"): their spares are worth refreshing (updateSpares).
    bool hasPausedVms() const;

    // "template · 2/2 spares ready": what the State column says of a template.
    static QString templateText(const SparesInfo& spares);

    // The state icon for a protocol state ("running", ...), from resources/.
    static QIcon stateIcon(const QString& state);

public Q_SLOTS:
    void resetFromList(const QList<hf::ui::VmInfo>& vms);  // vm.list
    void addVm(const hf::ui::VmInfo& vm);                   // vm.booted
    void addFork(const hf::ui::ForkEvent& fork);            // vm.forked, vm.fork's answer
    void updateVm(const hf::ui::VmInfo& vm);                // vm.state: fields, and a new parent
    void setReady(hf::ui::VmId vm, double ms);              // vm.ready
    void removeVm(const hf::ui::ExitInfo& exit);            // vm.exited
    void applyMetrics(const hf::ui::MetricsSample& sample); // metrics.sample
    void setArmed(hf::ui::VmId vm, int count);              // vm.fork's answer with armed
    // vm.list asked again (BackendClient::refreshVms): only the templates'
    // spares, which the daemon refreshes without an event; no reset, no
    // rows added or removed (events do that).
    void updateSpares(const QList<hf::ui::VmInfo>& vms);
    void clear();                                           // the daemon went away

private:
    struct Node {
        VmInfo info;
        VmId parent = 0;  // 0: a top-level VM
        QList<VmId> children;
        std::optional<VmSample> sample;
        qint64 sampleUnixMs = 0;            // when `sample` was taken
        std::optional<double> cpuPercent;   // since the sample before; 100 = one host CPU
        int armed = 0;                      // clones its guest's next fork signal makes
    };

    QList<VmId>& siblingsOf(VmId parent);
    int rowOf(VmId vm) const;
    QModelIndex parentIndexOf(VmId parent) const;
    void insertNode(const VmInfo& info);
    void moveNode(VmId vm, VmId newParent);
    void emitRowChanged(VmId vm, int firstColumn, int lastColumn);
    QVariant display(const Node& node, int column) const;
    QVariant sortKey(const Node& node, int column) const;
    QVariant toolTip(const Node& node, int column) const;
    // Its overlays' size: the latest sample's when it says, else the VM object's.
    static std::optional<qint64> overlayBytes(const Node& node);
    void tickUptime();

    QHash<VmId, Node> m_nodes;
    QList<VmId> m_roots;
    QTimer m_uptime;
};

}  // namespace hf::ui
