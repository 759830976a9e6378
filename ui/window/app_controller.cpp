#include "window/app_controller.h"

#include <QPointer>
#include <QRegularExpression>
#include <QTimer>

#include <memory>

namespace hf::ui {

AppController::AppController(Options options, QObject* parent) : QObject(parent), m_options(std::move(options))
{
    if (!m_options.socketPath.isEmpty()) m_backend.setSocketPath(m_options.socketPath);
    if (!m_options.daemonProgram.isEmpty()) m_launcher.setProgram(m_options.daemonProgram);
    m_launcher.setArguments(m_options.daemonArguments);
    m_backend.setAutoReconnect(true, 1000);

    connect(&m_backend, &BackendClient::connected, this, &AppController::onConnected);
    connect(&m_backend, &BackendClient::disconnected, this, &AppController::onDisconnected);
    connect(&m_backend, &BackendClient::vmListReceived, &m_tree, &VmTreeModel::resetFromList);
    connect(&m_backend, &BackendClient::vmBooted, &m_tree, &VmTreeModel::addVm);
    connect(&m_backend, &BackendClient::vmReady, &m_tree, &VmTreeModel::setReady);
    connect(&m_backend, &BackendClient::vmForked, &m_tree, &VmTreeModel::addFork);
    connect(&m_backend, &BackendClient::vmStateChanged, &m_tree, &VmTreeModel::updateVm);
    connect(&m_backend, &BackendClient::vmExited, &m_tree, &VmTreeModel::removeVm);
    connect(&m_backend, &BackendClient::metricsSampled, &m_tree, &VmTreeModel::applyMetrics);
    connect(&m_backend, &BackendClient::vmArmed, &m_tree, &VmTreeModel::setArmed);
    connect(&m_backend, &BackendClient::vmListRefreshed, &m_tree, &VmTreeModel::updateSpares);
    // Only while something is paused: a tree of running VMs costs no requests.
    m_sparesRefresh.setInterval(m_options.sparesRefreshMs);
    connect(&m_sparesRefresh, &QTimer::timeout, this, [this] {
        if (m_tree.hasPausedVms()) m_backend.refreshVms();
    });

    auto nameVm = [this](const VmInfo& vm) {
        m_metrics.setVmName(vm.id, vm.name);
        m_latencies.setVmName(vm.id, vm.name);
    };
    connect(&m_backend, &BackendClient::vmForked, this, [this](const ForkEvent& f) {
        m_latencies.addFork(f);
        m_metrics.addFork(f);
    });
    connect(&m_backend, &BackendClient::metricsSampled, &m_metrics, &MetricsHistory::addSample);
    connect(&m_backend, &BackendClient::vmExited, this, [this](const ExitInfo& e) { m_metrics.removeVm(e.vm); });
    connect(&m_backend, &BackendClient::vmBooted, this, nameVm);
    connect(&m_backend, &BackendClient::vmListReceived, this, [nameVm](const QList<VmInfo>& vms) {
        for (const VmInfo& vm : vms) nameVm(vm);
    });
    connect(&m_backend, &BackendClient::vmForked, this, [nameVm](const ForkEvent& f) {
        for (const VmInfo& vm : f.clones) nameVm(vm);
    });

    connect(&m_backend, &BackendClient::requestFailed, this, [this](const QString& method, const RpcError& e) {
        Q_EMIT errorOccurred(tr("%1 failed: %2").arg(method, e.text()));
    });
    connect(&m_launcher, &DaemonLauncher::exited, this, [this](const QString& reason) {
        setHealth(Health::DaemonDown, reason);
    });
}

AppController::~AppController()
{
    // The daemon this app started keeps running with its VMs (a manager
    // does not kill what it manages); the next start finds them again.
    m_backend.setAutoReconnect(false);
    m_backend.disconnect(this);
    m_backend.disconnectFromDaemon();
}

void AppController::stopIdleDaemon()
{
    if (m_tree.vmCount() > 0 || !m_launcher.isRunning()) return;
    m_backend.setAutoReconnect(false);
    m_backend.disconnect(this);
    m_backend.disconnectFromDaemon();
    m_launcher.stop();
}

void AppController::stopAllVms(QObject* context, std::function<void()> done, int timeoutMs)
{
    QPointer<QObject> guard(context);
    auto finish = std::make_shared<std::function<void()>>([guard, done = std::move(done)]() mutable {
        if (!done) return;
        auto call = std::exchange(done, {});
        if (guard) call();
    });
    if (m_launcher.isRunning()) {
        // Our own daemon: SIGTERM stops every VM (SIGKILL after 5 s) and the daemon.
        m_backend.setAutoReconnect(false);
        m_backend.disconnect(this);
        m_backend.disconnectFromDaemon();
        m_launcher.stop();
        (*finish)();
        return;
    }
    // Someone else's daemon: stop each tree from its root, wait for the answers.
    const QList<VmId> roots = m_tree.roots();
    if (roots.isEmpty() || !m_backend.isConnected()) return (*finish)();
    auto left = std::make_shared<int>(static_cast<int>(roots.size()));
    auto answered = [finish, left] {
        if (--*left == 0) (*finish)();
    };
    for (VmId root : roots)
        m_backend.stopVm(root, true, false, this, [answered](const QJsonObject&) { answered(); },
                         [answered](const RpcError&) { answered(); });
    QTimer::singleShot(timeoutMs, this, [finish] { (*finish)(); });
}

void AppController::start()
{
    setHealth(Health::Connecting, tr("Connecting to hyperforkd at %1…").arg(m_backend.socketPath()));
    m_backend.connectToDaemon();
}

void AppController::retryNow()
{
    m_triedStart = false;
    if (m_backend.state() == BackendClient::State::Disconnected) m_backend.connectToDaemon();
}

void AppController::onConnected(const DaemonInfo& daemon)
{
    m_triedStart = false;  // a daemon that dies later may be started again
    m_metrics.clear();     // a new daemon numbers its VMs from 1 again
    m_backend.listVms();
    m_backend.subscribeMetrics(m_options.metricsHz);
    m_sparesRefresh.start();
    refreshTemplates();
    if (!daemon.kvmAvailable) {
        // The daemon's reason, without its hint for developers (a path in
        // the source tree); the way out for a user is scripts/run.
        QString detail = daemon.kvmDetail;
        detail.remove(QRegularExpression(QStringLiteral("\\s*\\([^()]*kvm-sandbox[^()]*\\)")));
        setHealth(Health::NoKvm, tr("KVM is unavailable here, so VMs cannot boot (%1). `hyperforkctl doctor` says "
                                    "what this machine lacks and what to do. To run VMs on a machine without KVM "
                                    "anyway, start HyperFork with ./scripts/run from its source tree: it runs "
                                    "hyperforkd and its VMs in the KVM sandbox, nested KVM under emulation.")
                                     .arg(detail));
    }
    else
        setHealth(Health::Connected, tr("Connected to hyperforkd %1 (pid %2)").arg(daemon.version).arg(daemon.pid));
}

void AppController::onDisconnected(const QString& reason)
{
    m_sparesRefresh.stop();
    m_tree.clear();
    m_templates.clear();
    switch (maybeStartDaemon()) {
    case Start::Started: return;  // "Started hyperforkd; connecting…" says it
    case Start::Failed: return;   // "Cannot start hyperforkd: …" says it
    case Start::NotTried: break;
    }
    if (m_launcher.isRunning() && m_health == Health::Connecting) return;  // still coming up
    setHealth(Health::DaemonDown, reason + tr(" — reconnecting…"));
}

void AppController::refreshTemplates()
{
    if (!m_backend.isConnected()) return;
    const quint64 asked = ++m_templatesAsked;
    // Asked only of a daemon that has them (protocol_minor), not by calling and reading -32601.
    const DaemonInfo& daemon = m_backend.daemonInfo();
    if (!daemon.hasTemplatesOnDisk())
        return m_templates.setListError(tr("hyperforkd %1 has no templates on disk (protocol %2.%3; they came with "
                                           "%2.%4): update HyperFork")
                                            .arg(daemon.version)
                                            .arg(daemon.protocol)
                                            .arg(daemon.protocolMinor)
                                            .arg(DaemonInfo::templatesMinor));
    m_backend.listTemplates(
        this,
        [this, asked](const QList<TemplateInfo>& templates) {
            if (asked == m_templatesAsked) m_templates.setTemplates(templates);
        },
        // Said where the list would be (a daemon older than templates on disk, say), not in a box.
        [this, asked](const RpcError& e) {
            if (asked == m_templatesAsked) m_templates.setListError(e.text());
        });
}

AppController::Start AppController::maybeStartDaemon()
{
    if (!m_options.startDaemon || m_triedStart || m_launcher.isRunning()) return Start::NotTried;
    m_triedStart = true;
    QString error;
    if (!m_launcher.start(&error)) {
        setHealth(Health::DaemonDown, tr("Cannot start hyperforkd: %1").arg(error));
        return Start::Failed;
    }
    setHealth(Health::Connecting, tr("Started hyperforkd (%1); connecting…").arg(m_launcher.program()));
    return Start::Started;
}

void AppController::setHealth(Health health, const QString& text)
{
    if (m_health == health && m_healthText == text) return;
    m_health = health;
    m_healthText = text;
    Q_EMIT healthChanged(health, text);
}

}  // namespace hf::ui
