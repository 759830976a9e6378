#pragma once
// Starts hyperforkd for the app when none is running, as a process of its
// own (its own session, its output in a log file), so that it outlives the
// app: VMs keep running when the window closes, and the next start finds
// them again. Watches it through a pidfd to report its end. stop() ends it
// (SIGTERM: the daemon stops its VMs and removes its socket) when the user
// asks for that, or when it has nothing to run. A daemon started by someone
// else is never touched.
#include <QObject>
#include <QStringList>

class QSocketNotifier;

namespace hf::ui {

class DaemonLauncher : public QObject {
    Q_OBJECT
public:
    explicit DaemonLauncher(QObject* parent = nullptr);
    // Leaves the daemon running: it is not the app's to end on the way out.
    ~DaemonLauncher() override;

    // $HYPERFORK_DAEMON, else hyperforkd next to this executable, else on PATH.
    static QString findDaemon();
    // $XDG_RUNTIME_DIR/hyperforkd.log (Qt's runtime location).
    static QString defaultLogPath();
    void setProgram(const QString& program) { m_program = program; }
    void setArguments(const QStringList& arguments) { m_arguments = arguments; }
    void setLogPath(const QString& path) { m_logPath = path; }
    QString program() const { return m_program; }
    QString logPath() const { return m_logPath; }

    // Starts the daemon unless this launcher's one still runs. False, with
    // the reason in *error, when it cannot be started at all.
    bool start(QString* error);
    // The daemon this launcher started is alive.
    bool isRunning() const { return m_pidfd >= 0; }
    qint64 pid() const { return m_pid; }
    // SIGTERM, then SIGKILL after `graceMs`; returns once it has exited.
    void stop(int graceMs = 10000);
    // The end of its log, for error banners.
    QString outputTail() const;

Q_SIGNALS:
    // The daemon this launcher started ended by itself; `reason` quotes its log.
    void exited(const QString& reason);

private:
    void onExited();
    void forget();

    QString m_program;
    QStringList m_arguments;
    QString m_logPath;
    qint64 m_pid = 0;
    int m_pidfd = -1;
    QSocketNotifier* m_watch = nullptr;
};

}  // namespace hf::ui
