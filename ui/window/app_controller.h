#pragma once
// The app without its widgets: the daemon connection (started when none runs),
// and the models the windows show, fed only from BackendClient's signals.
// Says what the connection banner should say.
#include "backend/backend_client.h"
#include "backend/daemon_launcher.h"
#include "charts/cow_history.h"
#include "charts/fork_latency_table.h"
#include "models/vm_tree_model.h"

#include <QObject>

namespace hf::ui {

class AppController : public QObject {
    Q_OBJECT
public:
    struct Options {
        QString socketPath;        // empty: BackendClient::defaultSocketPath()
        bool startDaemon = true;   // start hyperforkd when none answers
        QString daemonProgram;     // empty: DaemonLauncher::findDaemon()
        QStringList daemonArguments;
        double metricsHz = 2;
    };

    enum class Health { Connecting, Connected, NoKvm, DaemonDown };
    Q_ENUM(Health)

    explicit AppController(Options options, QObject* parent = nullptr);
    ~AppController() override;

    void start();
    BackendClient* backend() { return &m_backend; }
    VmTreeModel* vmTree() { return &m_tree; }
    ForkLatencyTable* forkLatencies() { return &m_latencies; }
    CowHistory* cowHistory() { return &m_cow; }
    Health health() const { return m_health; }
    QString healthText() const { return m_healthText; }
    bool startedDaemon() const { return m_launcher.isRunning(); }

public Q_SLOTS:
    void retryNow();

Q_SIGNALS:
    void healthChanged(hf::ui::AppController::Health health, const QString& text);
    // A request failed that no dialog was waiting for: show it to the user.
    void errorOccurred(const QString& text);

private:
    void onConnected(const DaemonInfo& daemon);
    void onDisconnected(const QString& reason);
    void setHealth(Health health, const QString& text);
    enum class Start { NotTried, Started, Failed };
    Start maybeStartDaemon();

    Options m_options;
    BackendClient m_backend;
    DaemonLauncher m_launcher;
    VmTreeModel m_tree;
    ForkLatencyTable m_latencies;
    CowHistory m_cow;
    Health m_health = Health::Connecting;
    QString m_healthText;
    bool m_triedStart = false;
};

}  // namespace hf::ui
