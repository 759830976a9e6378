#include "backend/protocol_types.h"

#include <QJsonArray>

namespace hf::ui {
namespace {

// JSON numbers arrive as doubles; ids, pids and byte counts fit in 53 bits.
qint64 integer(const QJsonValue& v) { return v.isDouble() ? static_cast<qint64>(v.toDouble()) : 0; }

std::optional<int> optionalInt(const QJsonValue& v)
{
    if (v.isDouble()) return static_cast<int>(v.toDouble());
    return std::nullopt;
}

// docs/fork.md's order (a cold fork's six phases, then a warm spare's two);
// a phase this client does not know goes last.
QList<ForkPhase> phasesFrom(const QJsonObject& phases)
{
    static const QStringList order{"pause", "capture", "fork", "rebuild", "restore", "resume", "handover", "activate"};
    QList<ForkPhase> out;
    for (const QString& name : order)
        if (phases.contains(name)) out.append({name, phases.value(name).toDouble()});
    for (auto it = phases.begin(); it != phases.end(); ++it)
        if (!order.contains(it.key())) out.append({it.key(), it.value().toDouble()});
    return out;
}

}  // namespace

std::optional<SparesInfo> SparesInfo::fromJson(const QJsonValue& v)
{
    const QJsonObject o = v.toObject();
    if (!o.value("template").toBool()) return std::nullopt;
    auto count = [&](const char* key) { return static_cast<int>(integer(o.value(QLatin1String(key)))); };
    return SparesInfo{count("wanted"), count("ready"), count("served")};
}

DiskInfo DiskInfo::fromJson(const QJsonObject& o)
{
    return {static_cast<int>(integer(o.value("index"))), o.value("path").toString(), o.value("readonly").toBool(),
            integer(o.value("capacity")), integer(o.value("overlay_bytes"))};
}

qint64 VmInfo::overlayBytes() const
{
    qint64 sum = 0;
    for (const DiskInfo& d : disks) sum += d.overlayBytes;
    return sum;
}

VmInfo VmInfo::fromJson(const QJsonObject& o)
{
    VmInfo v;
    v.id = integer(o.value("id"));
    v.name = o.value("name").toString();
    v.pid = integer(o.value("pid"));
    if (o.value("parent").isDouble()) v.parent = integer(o.value("parent"));
    for (const QJsonValue& c : o.value("children").toArray()) v.children.append(integer(c));
    v.depth = static_cast<int>(integer(o.value("depth")));
    v.state = o.value("state").toString();
    v.memoryBytes = integer(o.value("memory"));
    v.cpus = static_cast<int>(integer(o.value("cpus")));
    v.pty = o.value("pty").toString();
    v.control = o.value("control").toString();
    v.kernel = o.value("kernel").toString();
    v.initrd = o.value("initrd").toString();
    v.createdUnixMs = integer(o.value("created_unix_ms"));
    v.ready = o.value("ready").toBool();
    v.responsive = o.value("responsive").toBool(true);  // older daemons: always responsive
    v.origin = o.value("origin").toString();
    const QJsonObject fork = o.value("fork").toObject();
    if (fork.value("latency_ms").isDouble()) v.forkLatencyMs = fork.value("latency_ms").toDouble();
    v.forkPhases = phasesFrom(fork.value("phases_ms").toObject());
    v.forkWarm = fork.value("warm").toBool();  // older daemons: every fork was cold
    v.spares = SparesInfo::fromJson(o.value("spares"));
    for (const QJsonValue& d : o.value("disks").toArray()) v.disks.append(DiskInfo::fromJson(d.toObject()));
    return v;
}

ForkEvent ForkEvent::fromJson(const QJsonObject& o)
{
    ForkEvent e;
    e.parent = integer(o.value("parent"));
    e.origin = o.value("origin").toString();
    for (const QJsonValue& c : o.value("clones").toArray()) e.clones.append(VmInfo::fromJson(c.toObject()));
    const QJsonObject latency = o.value("latency_ms").toObject();
    e.maxMs = latency.value("max").toDouble();
    e.meanMs = latency.value("mean").toDouble();
    return e;
}

ExitInfo ExitInfo::fromJson(const QJsonObject& o)
{
    ExitInfo e;
    e.vm = integer(o.value("vm"));
    e.name = o.value("name").toString();
    e.pid = integer(o.value("pid"));
    e.status = optionalInt(o.value("status"));
    e.signal = optionalInt(o.value("signal"));
    e.reason = o.value("reason").toString();
    return e;
}

VmSample VmSample::fromJson(const QJsonObject& o)
{
    VmSample s{integer(o.value("vm")),      integer(o.value("shared_pages")), integer(o.value("private_pages")),
               integer(o.value("rss_kib")), integer(o.value("pss_kib")),      o.value("cpu_ms").toDouble(),
               std::nullopt};
    if (o.value("overlay_bytes").isDouble()) s.overlayBytes = integer(o.value("overlay_bytes"));
    return s;
}

MetricsSample MetricsSample::fromJson(const QJsonObject& o)
{
    MetricsSample m;
    m.tUnixMs = integer(o.value("t_unix_ms"));
    m.hz = o.value("hz").toDouble();
    for (const QJsonValue& v : o.value("samples").toArray()) m.samples.append(VmSample::fromJson(v.toObject()));
    return m;
}

VmStats VmStats::fromJson(const QJsonObject& o)
{
    VmStats s;
    s.sample = VmSample::fromJson(o);
    if (o.value("page_size").isDouble()) s.pageSize = integer(o.value("page_size"));
    s.uptimeMs = o.value("uptime_ms").toDouble();
    return s;
}

DiskSaveResult DiskSaveResult::fromJson(const QJsonObject& o)
{
    return {integer(o.value("vm")), static_cast<int>(integer(o.value("disk"))), o.value("path").toString(),
            integer(o.value("bytes")), integer(o.value("overlay_bytes"))};
}

TemplateInfo TemplateInfo::fromJson(const QJsonObject& o)
{
    TemplateInfo t;
    t.name = o.value("name").toString();
    t.dir = o.value("dir").toString();
    t.error = o.value("error").toString();
    // An entry without a name cannot be started or deleted: broken, whatever it says.
    if (t.name.isEmpty() && t.error.isEmpty()) t.error = QStringLiteral("the daemon listed a template without a name");
    if (t.broken()) return t;
    t.bytes = integer(o.value("bytes"));
    t.memoryBytes = integer(o.value("memory"));
    t.cpus = static_cast<int>(integer(o.value("cpus")));
    t.createdUnixS = integer(o.value("created"));
    t.sourceVm = o.value("source_vm").toString();
    t.hyperforkVersion = o.value("hyperfork_version").toString();
    // A count, or the list of the disks saved with it.
    const QJsonValue disks = o.value("disks");
    t.disks = disks.isArray() ? static_cast<int>(disks.toArray().size()) : static_cast<int>(integer(disks));
    t.guestReady = o.value("ready").toBool();
    return t;
}

SaveProgress SaveProgress::fromJson(const QJsonObject& o)
{
    return {integer(o.value("vm")), o.value("name").toString(), o.value("dir").toString(), integer(o.value("done")),
            integer(o.value("total"))};
}

DaemonInfo DaemonInfo::fromJson(const QJsonObject& o)
{
    DaemonInfo d;
    d.protocol = static_cast<int>(integer(o.value("protocol")));
    d.protocolMinor = static_cast<int>(integer(o.value("protocol_minor")));
    d.templatesDir = o.value("templates_dir").toString();
    d.version = o.value("version").toString();
    d.pid = integer(o.value("pid"));
    const QJsonObject kvm = o.value("kvm").toObject();
    d.kvmAvailable = kvm.value("available").toBool();
    d.kvmDetail = kvm.value("detail").toString();
    d.vmm = o.value("vmm").toString();
    return d;
}

ConsoleInfo ConsoleInfo::fromJson(const QJsonObject& o)
{
    ConsoleInfo c;
    c.vm = integer(o.value("vm"));
    c.pty = o.value("pty").toString();
    c.history = o.value("history").toString().toUtf8();
    return c;
}

}  // namespace hf::ui
