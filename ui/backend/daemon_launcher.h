#pragma once
// Starts hyperforkd for the app when none is running, and stops the daemon it
// started when the app quits (SIGTERM: the daemon stops its VMs and removes
// its socket). A daemon started by someone else is never touched.
#include <QObject>
#include <QProcess>
#include <QStringList>

namespace hf::ui {

class DaemonLauncher : public QObject {
    Q_OBJECT
public:
    explicit DaemonLauncher(QObject* parent = nullptr);
    ~DaemonLauncher() override;

    // $HYPERFORK_DAEMON, else hyperforkd next to this executable, else on PATH.
    static QString findDaemon();
    void setProgram(const QString& program) { m_program = program; }
    void setArguments(const QStringList& arguments) { m_arguments = arguments; }
    QString program() const { return m_program; }

    // Starts the daemon unless this launcher's one still runs. False, with
    // the reason in *error, when it cannot be started at all.
    bool start(QString* error);
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    // SIGTERM, then SIGKILL after `graceMs`; returns once it has exited.
    void stop(int graceMs = 10000);
    QString outputTail() const { return m_tail; }

Q_SIGNALS:
    // The daemon this launcher started ended; `reason` quotes its last output.
    void exited(const QString& reason);

private:
    void onOutput();
    void onFinished(int code, QProcess::ExitStatus status);

    QProcess m_process;
    QString m_program;
    QStringList m_arguments;
    QString m_tail;  // the last lines it printed, for error banners
    bool m_stopping = false;
};

}  // namespace hf::ui
