#include "window/sandbox.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

namespace hf::ui {

Sandbox Sandbox::fromEnvironment(const QProcessEnvironment& env)
{
    Sandbox s;
    s.active = env.value("KVM_SANDBOX") == QLatin1String("qemu");
    for (const QString& dir : env.value("HYPERFORK_HOST_DIRS").split(':', Qt::SkipEmptyParts))
        s.hostDirs << QDir::cleanPath(dir);
    s.exportDir = QDir::cleanPath(env.value("HYPERFORK_EXPORT_DIR"));
    if (s.exportDir == QLatin1String(".")) s.exportDir.clear();
    return s;
}

bool Sandbox::reachesHost(const QString& path) const
{
    // Outside, or in a sandbox not set up by scripts/run: nothing known to refuse.
    if (!active || hostDirs.isEmpty()) return true;
    const QString clean = QDir::cleanPath(QFileInfo(path).absoluteFilePath());
    for (const QString& dir : hostDirs)
        if (clean == dir || clean.startsWith(dir + '/')) return true;
    return false;
}

QString Sandbox::defaultExportDir() const
{
    if (!exportDir.isEmpty()) return exportDir;
    const QString pictures = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    return pictures.isEmpty() ? QDir::homePath() : pictures;
}

QString sandboxEndedText(int status)
{
    QString what;
    if (status == 124)
        what = QCoreApplication::translate("Sandbox", "The KVM sandbox running HyperFork timed out and was stopped.");
    else if (status == 125)
        what = QCoreApplication::translate("Sandbox", "The KVM sandbox running HyperFork failed: it could not start, "
                                                      "or the emulated machine's kernel died (the terminal shows which).");
    else if (status > 128)
        what = QCoreApplication::translate("Sandbox", "HyperFork crashed (signal %1).").arg(status - 128);
    else
        what = QCoreApplication::translate("Sandbox", "HyperFork exited with status %1.").arg(status);
    return what + QStringLiteral("\n\n") +
           QCoreApplication::translate("Sandbox", "The VMs that ran inside the sandbox, if any, are gone with it. Your settings "
                                                  "and exports are kept. Run ./scripts/run again to start over.");
}

}  // namespace hf::ui
