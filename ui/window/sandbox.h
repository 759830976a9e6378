#pragma once
// Whether the app runs inside the KVM sandbox (scripts/run on a machine
// without KVM) and what of the file system there reaches the user's disk.
// In the sandbox the host's files are read-only and /tmp is new, so only
// the folders scripts/app-in-sandbox shares keep what is written; a pty path
// exists only inside. From the environment the sandbox sets up:
//   KVM_SANDBOX=qemu        set by tests/kvm-sandbox/kvm-sandbox
//   HYPERFORK_HOST_DIRS     colon-separated folders shared read-write
//   HYPERFORK_EXPORT_DIR    the export folder among them
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace hf::ui {

struct Sandbox {
    bool active = false;
    QStringList hostDirs;
    QString exportDir;

    static Sandbox fromEnvironment(const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment());
    // Whether a file written at `path` reaches the user's disk (always
    // outside, and when the sandbox did not say what it shares).
    bool reachesHost(const QString& path) const;
    // Where exports go unless the user picks another folder.
    QString defaultExportDir() const;
};

// What scripts/run shows when the sandbox ended with `status` (hyperfork --sandbox-ended).
QString sandboxEndedText(int status);

}  // namespace hf::ui
