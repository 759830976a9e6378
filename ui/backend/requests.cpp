#include "backend/requests.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

namespace hf::ui {

bool isValidVmName(const QString& name)
{
    static const QRegularExpression pattern("^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$");
    return pattern.match(name).hasMatch();
}

QString nameError(const QString& name)
{
    if (name.isEmpty()) return QStringLiteral("a name is needed");
    if (name.toUtf8().size() > 64) return QStringLiteral("at most 64 characters");
    if (name.startsWith('.') || name.startsWith('-')) return QStringLiteral("not starting with . or -");
    if (!isValidVmName(name)) return QStringLiteral("only A-Z a-z 0-9 . _ - (no spaces)");
    return {};
}

QString suggestCloneName(const QString& templateName, const QStringList& taken)
{
    // A broken listing may hand us anything: keep only what a name may hold.
    QString base = templateName;
    base.remove(QRegularExpression("[^A-Za-z0-9._-]"));
    while (base.startsWith('.') || base.startsWith('-')) base.remove(0, 1);
    if (base.isEmpty()) base = QStringLiteral("vm");
    for (int n = 1;; ++n) {
        const QString suffix = QStringLiteral("-%1").arg(n);
        const QString name = base.left(64 - suffix.size()) + suffix;
        if (!taken.contains(name)) return name;
    }
}

qint64 parseMemorySize(const QString& text)
{
    static const QRegularExpression pattern("^\\s*(\\d{1,12})\\s*([KkMmGg]?)(i?[Bb])?\\s*$");
    const QRegularExpressionMatch m = pattern.match(text);
    if (!m.hasMatch()) return 0;
    qint64 value = m.captured(1).toLongLong();
    const QString unit = m.captured(2).toUpper();
    if (unit == "K") return value << 10;
    if (unit == "M") return value << 20;
    if (unit == "G") return value << 30;
    return value;
}

QString BootRequest::validate() const
{
    if (!isValidVmName(name)) return QStringLiteral("name: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with . or -");
    if (cpus < 1 || cpus > 8) return QStringLiteral("vCPUs: 1 to 8");
    const qint64 bytes = parseMemorySize(memory);
    if (bytes < (64ll << 20)) return QStringLiteral("memory: at least 64M, written like 512M or 2G");
    if (wait != "started" && wait != "ready") return QStringLiteral("wait: started or ready");
    if (disks.size() > maxDisks) return QStringLiteral("disks: at most %1").arg(maxDisks);
    for (qsizetype i = 0; i < disks.size(); ++i) {
        const QString& path = disks[i].path;
        const QString which = QStringLiteral("disk %1").arg(i);
        if (path.isEmpty()) return which + QStringLiteral(": choose an image file");
        const QFileInfo info(path);
        if (!info.exists()) return QStringLiteral("%1: %2 does not exist").arg(which, path);
        if (!info.isFile()) return QStringLiteral("%1: %2 is not a regular file").arg(which, path);
    }
    return {};
}

QJsonObject BootRequest::toParams() const
{
    QJsonObject p{{"name", name}, {"memory", memory.trimmed()}, {"cpus", cpus}, {"wait", wait}};
    if (!kernel.isEmpty()) p["kernel"] = kernel;
    if (!initrd.isEmpty()) p["initrd"] = initrd;
    if (!cmdline.isEmpty()) p["cmdline"] = cmdline;
    if (guestFork) p["guest_fork"] = true;
    // The daemon resolves nothing against its own directory: absolute paths.
    QJsonArray list;
    for (const BootDisk& d : disks)
        list.append(QJsonObject{{"path", QFileInfo(d.path).absoluteFilePath()}, {"readonly", d.readonly}});
    if (!list.isEmpty()) p["disks"] = list;
    return p;
}

QString ForkRequest::validate() const
{
    if (vm <= 0) return QStringLiteral("no VM selected");
    if (count < 1 || count > maxCount) return QStringLiteral("clones: 1 to %1").arg(maxCount);
    if (!namePrefix.isEmpty() && !isValidVmName(namePrefix))
        return QStringLiteral("name prefix: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with . or -");
    return {};
}

QJsonObject ForkRequest::toParams() const
{
    QJsonObject p{{"vm", vm},
                  {"count", count},
                  {"when", when == When::Now ? "now" : "on-guest-signal"},
                  {"parent", parent == Parent::Continue ? "continue" : "pause"}};
    if (!namePrefix.isEmpty()) p["name_prefix"] = namePrefix;
    return p;
}

QString TemplateRequest::validate() const
{
    if (vm <= 0) return QStringLiteral("no VM selected");
    if (spares < 0 || spares > maxSpares) return QStringLiteral("warm spares: 0 to %1").arg(maxSpares);
    return {};
}

QJsonObject TemplateRequest::toParams() const { return {{"vm", vm}, {"spares", spares}}; }

QString SaveTemplateRequest::validate() const
{
    if (vm <= 0) return QStringLiteral("no VM selected");
    if (const QString e = nameError(name); !e.isEmpty()) return QStringLiteral("template name: ") + e;
    return {};
}

QJsonObject SaveTemplateRequest::toParams() const { return {{"vm", vm}, {"name", name}}; }

QString TemplateBootRequest::validate() const
{
    if (const QString e = nameError(templateName); !e.isEmpty()) return QStringLiteral("template: ") + e;
    if (const QString e = nameError(name); !e.isEmpty()) return QStringLiteral("VM name: ") + e;
    if (wait != "started" && wait != "ready") return QStringLiteral("wait: started or ready");
    return {};
}

QJsonObject TemplateBootRequest::toParams() const { return {{"template", templateName}, {"name", name}, {"wait", wait}}; }

QString DiskSaveRequest::validate() const
{
    if (vm <= 0) return QStringLiteral("no VM selected");
    if (disk < 0) return QStringLiteral("no disk chosen");
    if (path.isEmpty() || !QDir::isAbsolutePath(path)) return QStringLiteral("the new image needs an absolute path");
    if (QFileInfo::exists(path)) return QStringLiteral("%1 exists: the disk is saved only to a new file").arg(path);
    return {};
}

QJsonObject DiskSaveRequest::toParams() const { return {{"vm", vm}, {"path", path}, {"disk", disk}}; }

}  // namespace hf::ui
