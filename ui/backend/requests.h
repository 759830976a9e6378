#pragma once
// What the app asks the daemon to do, as values that check themselves before
// they are sent (the same rules as docs/protocol.md, so a dialog can say what
// is wrong while the user types instead of after a round trip).
#include "backend/protocol_types.h"

#include <QJsonObject>
#include <QString>

namespace hf::ui {

// One of vm.boot's disks: an image the VM sees as a virtio-blk disk; its
// writes go to the VM's own overlay, never to the image.
struct BootDisk {
    QString path;
    bool readonly = false;
    bool operator==(const BootDisk&) const = default;
};

// vm.boot. Empty kernel/initrd: the daemon's default guest.
struct BootRequest {
    QString kernel;
    QString initrd;
    QString cmdline;
    QString memory = "512M";  // bytes, or a number with K/M/G
    int cpus = 1;
    QString name = "vm";
    bool guestFork = false;
    QString wait = "started";  // or "ready"
    QList<BootDisk> disks;

    static constexpr int maxDisks = 8;
    // Empty when valid, else what is wrong. Disk images are looked at on this
    // machine: a missing one is named here rather than by a failed boot.
    QString validate() const;
    QJsonObject toParams() const;
};

// vm.disk_save: write what `vm` sees on disk `disk` to a new image at `path`.
struct DiskSaveRequest {
    VmId vm = 0;
    int disk = 0;
    QString path;

    QString validate() const;  // the daemon never overwrites: an existing path is refused
    QJsonObject toParams() const;
};

// vm.fork
struct ForkRequest {
    enum class When { Now, OnGuestSignal };
    enum class Parent { Continue, Pause };
    VmId vm = 0;
    int count = 1;
    When when = When::Now;
    Parent parent = Parent::Continue;
    QString namePrefix;  // empty: the parent's name

    static constexpr int maxCount = 64;
    QString validate() const;
    QJsonObject toParams() const;
};

// vm.template: keep `vm` paused as a template with `spares` warm spares
// (clones built ahead that serve its forks at once; docs/fork.md).
struct TemplateRequest {
    VmId vm = 0;
    int spares = defaultSpares;

    static constexpr int defaultSpares = 2;  // the VMM's own default (--spares)
    static constexpr int maxSpares = 8;
    QString validate() const;
    QJsonObject toParams() const;
};

// vm.save: write `vm` to a template on disk named `name`, in the daemon's
// template folder (docs/template-format.md). Not vm.template, which keeps a
// VM paused in memory with warm spares.
struct SaveTemplateRequest {
    VmId vm = 0;
    QString name;

    QString validate() const;
    QJsonObject toParams() const;
};

// vm.boot with `template`: a new VM going on from the template on disk
// `templateName`, named `name`.
struct TemplateBootRequest {
    QString templateName;
    QString name;
    QString wait = "started";  // or "ready"

    QString validate() const;
    QJsonObject toParams() const;
};

// A VM name or clone prefix: 1..64 bytes of [A-Za-z0-9._-], not starting
// with '.' or '-' (the daemon's one rule for names: never a hidden file or
// an option).
bool isValidVmName(const QString& name);
// Template names follow the same rule (they name a directory).
inline bool isValidTemplateName(const QString& name) { return isValidVmName(name); }
// What is wrong with `name` as a VM or template name, said for a person; empty when valid.
QString nameError(const QString& name);
// A name for a VM started from template `templateName` that is none of
// `taken`: "web-1", "web-2", ... (shortened to stay within 64 bytes).
QString suggestCloneName(const QString& templateName, const QStringList& taken);
// "512M", "2G", "1048576" -> bytes; 0 when malformed.
qint64 parseMemorySize(const QString& text);

}  // namespace hf::ui
