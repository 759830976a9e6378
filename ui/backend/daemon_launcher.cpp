#include "backend/daemon_launcher.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QStandardPaths>

#include <cstdio>

namespace hf::ui {

namespace {
constexpr qsizetype tailBytes = 4096;
}

DaemonLauncher::DaemonLauncher(QObject* parent) : QObject(parent), m_program(findDaemon())
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &DaemonLauncher::onOutput);
    connect(&m_process, &QProcess::finished, this, &DaemonLauncher::onFinished);
}

DaemonLauncher::~DaemonLauncher()
{
    if (isRunning()) stop();
}

QString DaemonLauncher::findDaemon()
{
    const QString fromEnv = qEnvironmentVariable("HYPERFORK_DAEMON");
    if (!fromEnv.isEmpty()) return fromEnv;
    const QString beside = QCoreApplication::applicationDirPath() + "/hyperforkd";
    if (QFileInfo(beside).isExecutable()) return beside;
    return QStandardPaths::findExecutable("hyperforkd");
}

bool DaemonLauncher::start(QString* error)
{
    if (isRunning()) return true;
    if (m_program.isEmpty() || !QFileInfo(m_program).isExecutable()) {
        *error = m_program.isEmpty() ? QStringLiteral("hyperforkd was found neither next to the app nor on PATH")
                                     : QStringLiteral("%1 is not an executable").arg(m_program);
        return false;
    }
    m_tail.clear();
    m_stopping = false;
    m_process.start(m_program, m_arguments);
    if (!m_process.waitForStarted(5000)) {
        *error = QStringLiteral("cannot start %1: %2").arg(m_program, m_process.errorString());
        return false;
    }
    return true;
}

void DaemonLauncher::stop(int graceMs)
{
    if (!isRunning()) return;
    m_stopping = true;
    m_process.terminate();
    if (!m_process.waitForFinished(graceMs)) {
        m_process.kill();
        m_process.waitForFinished(2000);
    }
}

void DaemonLauncher::onOutput()
{
    const QByteArray bytes = m_process.readAllStandardOutput();
    // The daemon's log belongs on the app's stderr too: it explains VM failures.
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stderr);
    m_tail += QString::fromUtf8(bytes);
    if (m_tail.size() > tailBytes) m_tail = m_tail.right(tailBytes);
}

void DaemonLauncher::onFinished(int code, QProcess::ExitStatus status)
{
    onOutput();
    if (m_stopping) return;
    QString reason = status == QProcess::CrashExit ? QStringLiteral("hyperforkd crashed")
                                                   : QStringLiteral("hyperforkd exited with status %1").arg(code);
    const QStringList lines = m_tail.trimmed().split('\n');
    if (!lines.isEmpty() && !lines.last().isEmpty()) reason += QStringLiteral(": ") + lines.last().trimmed();
    Q_EMIT exited(reason);
}

}  // namespace hf::ui
