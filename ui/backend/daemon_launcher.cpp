#include "backend/daemon_launcher.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTimer>

#include <csignal>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace hf::ui {

namespace {

constexpr qint64 tailBytes = 4096;

int pidfdOpen(qint64 pid) { return static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)); }

bool pidfdSignal(int pidfd, int signal) { return ::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) == 0; }

// True once the process behind `pidfd` has exited, waiting up to `ms`.
bool waitExit(int pidfd, int ms)
{
    pollfd p{pidfd, POLLIN, 0};
    int r;
    while ((r = ::poll(&p, 1, ms)) < 0 && errno == EINTR) {}
    return r > 0;
}

}  // namespace

DaemonLauncher::DaemonLauncher(QObject* parent) : QObject(parent), m_program(findDaemon()), m_logPath(defaultLogPath()) {}

DaemonLauncher::~DaemonLauncher() { forget(); }

QString DaemonLauncher::findDaemon()
{
    const QString fromEnv = qEnvironmentVariable("HYPERFORK_DAEMON");
    if (!fromEnv.isEmpty()) return fromEnv;
    const QString beside = QCoreApplication::applicationDirPath() + "/hyperforkd";
    if (QFileInfo(beside).isExecutable()) return beside;
    return QStandardPaths::findExecutable("hyperforkd");
}

QString DaemonLauncher::defaultLogPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation) + QStringLiteral("/hyperforkd.log");
}

bool DaemonLauncher::start(QString* error)
{
    if (isRunning()) return true;
    if (m_program.isEmpty() || !QFileInfo(m_program).isExecutable()) {
        *error = m_program.isEmpty() ? QStringLiteral("hyperforkd was found neither next to the app nor on PATH")
                                     : QStringLiteral("%1 is not an executable").arg(m_program);
        return false;
    }
    // A fresh log per start; stdout and stderr both append, so neither
    // overwrites the other.
    QDir().mkpath(QFileInfo(m_logPath).absolutePath());
    QFile log(m_logPath);
    if (log.open(QIODevice::WriteOnly | QIODevice::Truncate)) log.close();
    QProcess process;
    process.setProgram(m_program);
    process.setArguments(m_arguments);
    process.setStandardInputFile(QProcess::nullDevice());
    process.setStandardOutputFile(m_logPath, QIODevice::Append);
    process.setStandardErrorFile(m_logPath, QIODevice::Append);
    // Detached: its own session, not the app's child, so it survives the app.
    qint64 pid = 0;
    if (!process.startDetached(&pid)) {
        *error = QStringLiteral("cannot start %1: %2").arg(m_program, process.errorString());
        return false;
    }
    m_pid = pid;
    m_pidfd = pidfdOpen(pid);
    if (m_pidfd < 0) {
        // Gone already (ESRCH): say it ended, from the event loop.
        QTimer::singleShot(0, this, &DaemonLauncher::onExited);
        return true;
    }
    m_watch = new QSocketNotifier(m_pidfd, QSocketNotifier::Read, this);
    connect(m_watch, &QSocketNotifier::activated, this, &DaemonLauncher::onExited);
    return true;
}

void DaemonLauncher::stop(int graceMs)
{
    if (!isRunning()) return;
    const int pidfd = m_pidfd;
    pidfdSignal(pidfd, SIGTERM);
    if (!waitExit(pidfd, graceMs)) {
        pidfdSignal(pidfd, SIGKILL);
        waitExit(pidfd, 2000);
    }
    forget();
}

QString DaemonLauncher::outputTail() const
{
    QFile log(m_logPath);
    if (!log.open(QIODevice::ReadOnly)) return {};
    if (log.size() > tailBytes) log.seek(log.size() - tailBytes);
    return QString::fromUtf8(log.readAll());
}

void DaemonLauncher::forget()
{
    delete m_watch;
    m_watch = nullptr;
    if (m_pidfd >= 0) ::close(m_pidfd);
    m_pidfd = -1;
}

void DaemonLauncher::onExited()
{
    forget();
    // Not our child (it was detached), so no exit status: its log says why.
    QString reason = QStringLiteral("hyperforkd (pid %1) exited").arg(m_pid);
    const QStringList lines = outputTail().trimmed().split('\n');
    if (!lines.isEmpty() && !lines.last().isEmpty()) reason += QStringLiteral(": ") + lines.last().trimmed();
    Q_EMIT exited(reason);
}

}  // namespace hf::ui
