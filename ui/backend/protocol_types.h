#pragma once
// The daemon's protocol objects (docs/protocol.md) as plain Qt values. The
// backend client parses every line into these; models and charts only ever
// see these types, never JSON.
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <optional>

namespace hf::ui {

using VmId = qint64;

// One phase of a fork's latency (docs/fork.md), in the order they happen.
struct ForkPhase {
    QString name;
    double ms = 0;
};

// A template's warm spares (docs/fork.md, "Warm spares"): clones its VMM
// built ahead of any request and parked, so that a fork of the template
// takes one at once instead of copying the VM then.
struct SparesInfo {
    int wanted = 0;  // how many the template keeps ready
    int ready = 0;   // built and parked now
    int served = 0;  // forks served from spares so far
    bool operator==(const SparesInfo&) const = default;
    // Null or anything but {"template": true, ...}: not a template.
    static std::optional<SparesInfo> fromJson(const QJsonValue& v);
};

// One of a VM's virtio-blk disks: a base image the VM never writes, and the
// VM's own copy-on-write overlay holding what it wrote (a clone starts with
// its parent's).
struct DiskInfo {
    int index = 0;
    QString path;
    bool readonly = false;
    qint64 capacity = 0;      // bytes the guest sees
    qint64 overlayBytes = 0;  // bytes of the overlay
    static DiskInfo fromJson(const QJsonObject& o);
};

struct VmInfo {
    VmId id = 0;
    QString name;
    qint64 pid = 0;
    std::optional<VmId> parent;  // nullopt: a booted (reference) VM
    QList<VmId> children;
    int depth = 0;
    QString state;  // booting, running, paused, stopping
    qint64 memoryBytes = 0;
    int cpus = 0;
    QString pty;
    QString control;
    QString kernel;
    QString initrd;
    qint64 createdUnixMs = 0;
    bool ready = false;
    bool responsive = true;  // false: its VMM let a request pass its deadline (docs/protocol.md)
    QString origin;                      // clones: "command" or "guest"
    std::optional<double> forkLatencyMs;  // clones only
    // Cold: pause, capture, fork, rebuild, restore, resume; warm: handover, activate.
    QList<ForkPhase> forkPhases;
    bool forkWarm = false;                // clones: a template's warm spare served the fork
    std::optional<SparesInfo> spares;     // set while the VM is kept paused as a template
    QList<DiskInfo> disks;                // empty: no disks, or a daemon older than disks

    qint64 overlayBytes() const;  // summed over its disks

    static VmInfo fromJson(const QJsonObject& o);
};

// vm.forked, and the result of vm.fork with when:"now".
struct ForkEvent {
    VmId parent = 0;
    QString origin;
    QList<VmInfo> clones;
    double maxMs = 0;
    double meanMs = 0;
    static ForkEvent fromJson(const QJsonObject& o);
};

// vm.exited
struct ExitInfo {
    VmId vm = 0;
    QString name;
    qint64 pid = 0;
    std::optional<int> status;
    std::optional<int> signal;
    QString reason;
    static ExitInfo fromJson(const QJsonObject& o);
};

// One VM's entry in a metrics.sample tick (and the core of vm.stats).
struct VmSample {
    VmId vm = 0;
    qint64 sharedPages = 0;
    qint64 privatePages = 0;
    qint64 rssKib = 0;
    qint64 pssKib = 0;
    double cpuMs = 0;
    std::optional<qint64> overlayBytes;  // summed over its disks; nullopt: not said
    static VmSample fromJson(const QJsonObject& o);
};

// metrics.sample
struct MetricsSample {
    qint64 tUnixMs = 0;
    double hz = 0;
    QList<VmSample> samples;
    static MetricsSample fromJson(const QJsonObject& o);
};

// The result of vm.stats: a sample plus the page size and uptime.
struct VmStats {
    VmSample sample;
    qint64 pageSize = 4096;
    double uptimeMs = 0;
    static VmStats fromJson(const QJsonObject& o);
};

// The result of vm.disk_save: `path` now holds the VM's view of disk `disk`.
struct DiskSaveResult {
    VmId vm = 0;
    int disk = 0;
    QString path;
    qint64 bytes = 0;         // the image's size: the disk's capacity
    qint64 overlayBytes = 0;  // of which the VM's own writes
    static DiskSaveResult fromJson(const QJsonObject& o);
};

// A template on disk (vm.save, template.list; docs/template-format.md): a
// directory holding a saved VM, which vm.boot with `template` starts again.
// Not a VM kept paused as a template in memory (vm.template, SparesInfo).
// A directory the daemon cannot read is listed with `error`, its name and
// dir; the other fields are then unknown.
struct TemplateInfo {
    QString name;
    QString dir;
    qint64 bytes = 0;          // disk space its files use (the RAM file is sparse)
    qint64 memoryBytes = 0;    // the guest's RAM
    int cpus = 0;
    qint64 createdUnixS = 0;
    QString sourceVm;          // the VM it was saved from
    QString hyperforkVersion;  // of the HyperFork that saved it
    int disks = 0;
    bool guestReady = false;   // the guest had said READY when it was saved
    QString error;             // non-empty: a broken template

    bool broken() const { return !error.isEmpty(); }
    static TemplateInfo fromJson(const QJsonObject& o);
};

// vm.save_progress: how much of a running save is written.
struct SaveProgress {
    VmId vm = 0;
    QString name;  // empty: saved to a directory named by the request
    QString dir;
    qint64 done = 0;   // bytes
    qint64 total = 0;  // bytes; 0: not known yet
    static SaveProgress fromJson(const QJsonObject& o);
};

// The result of hello.
struct DaemonInfo {
    int protocol = 0;
    // Additions within `protocol` (docs/protocol.md, Versioning); absent: 0.
    int protocolMinor = 0;
    static constexpr int templatesMinor = 1;  // templates on disk: vm.save, template.*
    bool hasTemplatesOnDisk() const { return protocolMinor >= templatesMinor; }
    QString templatesDir;  // where templates saved by name go
    QString version;
    qint64 pid = 0;
    bool kvmAvailable = false;
    QString kvmDetail;
    QString vmm;
    static DaemonInfo fromJson(const QJsonObject& o);
};

// The result of vm.console.
struct ConsoleInfo {
    VmId vm = 0;
    QString pty;
    QByteArray history;  // UTF-8, the VMM's ring buffer
    static ConsoleInfo fromJson(const QJsonObject& o);
};

}  // namespace hf::ui
