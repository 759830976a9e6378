#pragma once
// The app without its widgets: the daemon connection (started when none runs),
// and the models the windows show, fed only from BackendClient's signals.
// Says what the connection banner should say. A daemon it started outlives
// it (with its VMs) unless stopAllVms() or stopIdleDaemon() ends it.
#include "backend/backend_client.h"
#include "backend/daemon_launcher.h"
#include "charts/metrics_history.h"
#include "charts/fork_latency_table.h"
#include "models/template_list_model.h"
#include "models/vm_tree_model.h"

#include <QObject>
#include <QTimer>

#include <functional>

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
        // How often a template's spares are asked again while a VM is paused
        // (the daemon refreshes them every 2 s and sends no event for it).
        int sparesRefreshMs = 2000;
    };

    enum class Health { Connecting, Connected, NoKvm, DaemonDown };
    Q_ENUM(Health)

    explicit AppController(Options options, QObject* parent = nullptr);
    ~AppController() override;

    void start();
    BackendClient* backend() { return &m_backend; }
    VmTreeModel* vmTree() { return &m_tree; }
    TemplateListModel* templates() { return &m_templates; }
    ForkLatencyTable* forkLatencies() { return &m_latencies; }
    MetricsHistory* metricsHistory() { return &m_metrics; }
    Health health() const { return m_health; }
    QString healthText() const { return m_healthText; }
    bool startedDaemon() const { return m_launcher.isRunning(); }
    DaemonLauncher* launcher() { return &m_launcher; }

    // Stops every VM, then calls `done` (unless `context` is gone): the
    // daemon this app started is stopped, which stops its VMs; another
    // daemon is asked to stop each tree. `done` comes at the latest after
    // timeoutMs, whatever the daemon answered.
    void stopAllVms(QObject* context, std::function<void()> done, int timeoutMs = 15000);
    // The daemon this app started, when it runs no VM: nothing to keep it for.
    void stopIdleDaemon();

public Q_SLOTS:
    void retryNow();
    // template.list again (on connecting, when the list is shown, after a
    // save or delete, Refresh). Only the newest request's answer is kept: an
    // older one may predate a save.
    void refreshTemplates();

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
    MetricsHistory m_metrics;
    Health m_health = Health::Connecting;
    QString m_healthText;
    bool m_triedStart = false;
    QTimer m_sparesRefresh;
    TemplateListModel m_templates;
    quint64 m_templatesAsked = 0;  // template.list requests sent; answers to older ones are stale
};

}  // namespace hf::ui
