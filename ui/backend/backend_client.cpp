#include "backend/backend_client.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>

#include <unistd.h>

namespace hf::ui {

Q_LOGGING_CATEGORY(lcBackend, "hyperfork.backend")

QString RpcError::text() const
{
    QString out = message;
    // -32014 carries the VMM's last stderr lines; they say what really failed.
    const QString stderrTail = data.toObject().value("stderr").toString().trimmed();
    if (!stderrTail.isEmpty()) out += QStringLiteral("\n") + stderrTail;
    return out;
}

BackendClient::BackendClient(QObject* parent)
    : QObject(parent), m_socket(new QLocalSocket(this)), m_socketPath(defaultSocketPath())
{
    qRegisterMetaType<RpcError>();
    // The daemon gives vm.save 600 s; template.* only read or remove a folder.
    m_deadlines = {{"vm.save", 630'000}, {"template.list", 30'000}, {"template.delete", 30'000}};
    m_reconnect.setSingleShot(true);
    connect(&m_reconnect, &QTimer::timeout, this, &BackendClient::connectToDaemon);
    connect(m_socket, &QLocalSocket::connected, this, &BackendClient::onConnected);
    connect(m_socket, &QLocalSocket::readyRead, this, &BackendClient::onReadyRead);
    connect(m_socket, &QLocalSocket::errorOccurred, this, &BackendClient::onSocketError);
    connect(m_socket, &QLocalSocket::disconnected, this, &BackendClient::onSocketDisconnected);
}

BackendClient::~BackendClient()
{
    // Handlers may point into objects already half destroyed: drop, don't call.
    m_pending.clear();
    m_socket->disconnect(this);
    m_socket->abort();
}

QString BackendClient::defaultSocketPath()
{
    const QString xdg = qEnvironmentVariable("XDG_RUNTIME_DIR");
    const QString dir = xdg.isEmpty() ? QStringLiteral("/tmp/hyperfork-%1").arg(::getuid()) : xdg + "/hyperfork";
    return dir + "/hyperforkd.sock";
}

void BackendClient::setAutoReconnect(bool enabled, int intervalMs)
{
    m_autoReconnect = enabled;
    m_reconnect.setInterval(intervalMs);
    if (!enabled) m_reconnect.stop();
}

void BackendClient::setState(State state)
{
    if (m_state == state) return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void BackendClient::connectToDaemon()
{
    if (m_state != State::Disconnected) return;
    m_reconnect.stop();
    m_framer.reset();
    setState(State::Connecting);
    m_socket->connectToServer(m_socketPath, QIODevice::ReadWrite);
}

void BackendClient::disconnectFromDaemon()
{
    m_reconnect.stop();
    dropConnection(QStringLiteral("disconnected"), false);
}

void BackendClient::onConnected()
{
    setState(State::Handshaking);
    const qint64 id = m_nextId++;
    m_pending.insert(id, Pending{"hello", nullptr, false,
                                 [this](const QJsonObject& result) {
                                     m_daemon = DaemonInfo::fromJson(result);
                                     if (m_daemon.protocol != protocolVersion) {
                                         dropConnection(QStringLiteral("the daemon speaks protocol %1, this app %2")
                                                            .arg(m_daemon.protocol)
                                                            .arg(protocolVersion));
                                         return;
                                     }
                                     m_lastReason.clear();
                                     setState(State::Connected);
                                     Q_EMIT connected(m_daemon);
                                 },
                                 [this](const RpcError& e) {
                                     dropConnection(QStringLiteral("the daemon refused hello: %1").arg(e.text()));
                                 }});
    send(QJsonObject{{"jsonrpc", "2.0"},
                     {"id", id},
                     {"method", "hello"},
                     {"params", QJsonObject{{"protocol", protocolVersion},
                                            {"client", QStringLiteral("hyperfork %1").arg(HYPERFORK_VERSION)}}}});
}

void BackendClient::onReadyRead()
{
    const QByteArray bytes = m_socket->readAll();
    const QList<QByteArray> lines = m_framer.feed(bytes);
    for (const QByteArray& line : lines) {
        handleLine(line);
        // A handler may have dropped the connection; what follows is stale.
        if (m_state == State::Disconnected) return;
    }
    if (m_framer.overflow())
        dropConnection(QStringLiteral("the daemon sent a line longer than %1 MiB").arg(maxLine >> 20));
}

void BackendClient::onSocketError(QLocalSocket::LocalSocketError error)
{
    if (error == QLocalSocket::PeerClosedError) return;  // onSocketDisconnected says it
    QString reason;
    switch (error) {
    case QLocalSocket::ServerNotFoundError:
        reason = QStringLiteral("hyperforkd is not running (no socket at %1)").arg(m_socketPath);
        break;
    case QLocalSocket::ConnectionRefusedError:
        reason = QStringLiteral("hyperforkd is not running (%1 refused the connection)").arg(m_socketPath);
        break;
    case QLocalSocket::SocketAccessError:
        reason = QStringLiteral("no permission to connect to %1").arg(m_socketPath);
        break;
    default:
        reason = QStringLiteral("connection to hyperforkd failed: %1").arg(m_socket->errorString());
        break;
    }
    dropConnection(reason);
}

void BackendClient::onSocketDisconnected()
{
    if (m_state != State::Disconnected) dropConnection(QStringLiteral("hyperforkd closed the connection"));
}

void BackendClient::handleLine(const QByteArray& line)
{
    if (line.trimmed().isEmpty()) return;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        const QString what = QStringLiteral("unreadable line from the daemon (%1): %2")
                                 .arg(error.error != QJsonParseError::NoError ? error.errorString() : "not an object",
                                      QString::fromUtf8(line.left(120)));
        qCWarning(lcBackend).noquote() << what;
        Q_EMIT protocolWarning(what);
        return;
    }
    const QJsonObject message = doc.object();
    const QJsonValue id = message.value("id");
    if (!id.isUndefined() && !id.isNull() && (message.contains("result") || message.contains("error"))) {
        handleReply(message);
    } else if (message.value("method").isString() && (id.isUndefined() || id.isNull())) {
        handleEvent(message.value("method").toString(), message.value("params").toObject());
    } else if (message.contains("error")) {
        // An error without an id: the daemon could not read what we sent.
        const QJsonObject e = message.value("error").toObject();
        Q_EMIT protocolWarning(QStringLiteral("the daemon could not read a request: %1").arg(e.value("message").toString()));
    } else {
        Q_EMIT protocolWarning(QStringLiteral("a message that is neither reply nor event: %1").arg(QString::fromUtf8(line.left(120))));
    }
}

void BackendClient::handleReply(const QJsonObject& message)
{
    const qint64 id = static_cast<qint64>(message.value("id").toDouble(-1));
    const auto it = m_pending.find(id);
    if (it == m_pending.end()) {
        if (m_expired.remove(id)) return;  // its requester was told it timed out
        Q_EMIT protocolWarning(QStringLiteral("a reply to no request (id %1)").arg(message.value("id").toVariant().toString()));
        return;
    }
    const Pending pending = it.value();
    m_pending.erase(it);
    if (pending.hasContext && !pending.context) return;  // its dialog or view is gone
    if (message.contains("error")) {
        const QJsonObject e = message.value("error").toObject();
        const RpcError error{e.value("code").toInt(), e.value("message").toString(), e.value("data")};
        if (pending.onError)
            pending.onError(error);
        else
            Q_EMIT requestFailed(pending.method, error);
    } else if (pending.onResult) {
        pending.onResult(message.value("result").toObject());
    }
}

void BackendClient::handleEvent(const QString& method, const QJsonObject& params)
{
    if (method == "vm.booted")
        Q_EMIT vmBooted(VmInfo::fromJson(params.value("vm").toObject()));
    else if (method == "vm.ready")
        Q_EMIT vmReady(static_cast<VmId>(params.value("vm").toDouble()), params.value("ms").toDouble());
    else if (method == "vm.forked")
        Q_EMIT vmForked(ForkEvent::fromJson(params));
    else if (method == "vm.state")
        Q_EMIT vmStateChanged(VmInfo::fromJson(params.value("vm").toObject()));
    else if (method == "vm.exited")
        Q_EMIT vmExited(ExitInfo::fromJson(params));
    else if (method == "metrics.sample")
        Q_EMIT metricsSampled(MetricsSample::fromJson(params));
    else if (method == "vm.save_progress")
        Q_EMIT templateSaveProgress(SaveProgress::fromJson(params));
    // Unknown events are ignored: newer daemons may add some (docs/protocol.md, Versioning).
}

void BackendClient::send(const QJsonObject& message)
{
    QByteArray line = QJsonDocument(message).toJson(QJsonDocument::Compact);
    line.append('\n');
    m_socket->write(line);  // buffered by Qt; written when the socket is writable
}

qint64 BackendClient::call(const QString& method, const QJsonObject& params, QObject* context, ResultHandler onResult,
                           ErrorHandler onError)
{
    if (m_state != State::Connected) {
        const RpcError error{0, QStringLiteral("not connected to hyperforkd"), {}};
        if (onError)
            onError(error);
        else
            Q_EMIT requestFailed(method, error);
        return -1;
    }
    const qint64 id = m_nextId++;
    m_pending.insert(id, Pending{method, context, context != nullptr, std::move(onResult), std::move(onError)});
    QJsonObject message{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.isEmpty()) message["params"] = params;
    send(message);
    if (const int ms = m_deadlines.value(method); ms > 0) QTimer::singleShot(ms, this, [this, id] { expire(id); });
    return id;
}

void BackendClient::setDeadline(const QString& method, int ms)
{
    if (ms > 0)
        m_deadlines.insert(method, ms);
    else
        m_deadlines.remove(method);
}

void BackendClient::expire(qint64 id)
{
    const auto it = m_pending.find(id);
    if (it == m_pending.end()) return;  // answered, or failed with the connection
    const Pending pending = it.value();
    m_pending.erase(it);
    m_expired.insert(id);
    if (pending.hasContext && !pending.context) return;
    const int ms = m_deadlines.value(pending.method);
    const RpcError error{0, QStringLiteral("hyperforkd did not answer %1 within %2 s").arg(pending.method).arg(ms / 1000.0), {}};
    if (pending.onError)
        pending.onError(error);
    else
        Q_EMIT requestFailed(pending.method, error);
}

namespace {

QList<VmInfo> vmsOf(const QJsonObject& listResult)
{
    QList<VmInfo> vms;
    for (const QJsonValue& v : listResult.value("vms").toArray()) vms.append(VmInfo::fromJson(v.toObject()));
    return vms;
}

}  // namespace

void BackendClient::listVms()
{
    call("vm.list", {}, this, [this](const QJsonObject& result) { Q_EMIT vmListReceived(vmsOf(result)); });
}

void BackendClient::refreshVms()
{
    if (m_refreshing || m_state != State::Connected) return;
    m_refreshing = true;
    // Failures (the connection dropped) need no report: the next tick retries.
    call("vm.list", {}, this,
         [this](const QJsonObject& result) {
             m_refreshing = false;
             Q_EMIT vmListRefreshed(vmsOf(result));
         },
         [this](const RpcError&) { m_refreshing = false; });
}

void BackendClient::bootVm(const BootRequest& request, QObject* context, std::function<void(const VmInfo&)> onBooted,
                           ErrorHandler onError)
{
    call("vm.boot", request.toParams(), context,
         [onBooted = std::move(onBooted)](const QJsonObject& result) {
             if (onBooted) onBooted(VmInfo::fromJson(result.value("vm").toObject()));
         },
         std::move(onError));
}

void BackendClient::forkVm(const ForkRequest& request, QObject* context, ResultHandler onResult, ErrorHandler onError)
{
    // An armed VM is news for every model, whoever asked.
    call("vm.fork", request.toParams(), context,
         [this, onResult = std::move(onResult)](const QJsonObject& result) {
             if (result.value("armed").toBool())
                 Q_EMIT vmArmed(result.value("parent").toInteger(), result.value("count").toInt(1));
             if (onResult) onResult(result);
         },
         std::move(onError));
}

void BackendClient::pauseVm(VmId vm) { call("vm.pause", {{"vm", vm}}); }
void BackendClient::resumeVm(VmId vm) { call("vm.resume", {{"vm", vm}}); }

void BackendClient::makeTemplate(const TemplateRequest& request, QObject* context,
                                 std::function<void(const VmInfo&)> onDone, ErrorHandler onError)
{
    call("vm.template", request.toParams(), context,
         [this, onDone = std::move(onDone)](const QJsonObject& result) {
             const VmInfo vm = VmInfo::fromJson(result.value("vm").toObject());
             Q_EMIT vmStateChanged(vm);
             if (onDone) onDone(vm);
         },
         std::move(onError));
}

void BackendClient::stopVm(VmId vm, bool tree, bool force, QObject* context, ResultHandler onResult, ErrorHandler onError)
{
    call("vm.stop", {{"vm", vm}, {"tree", tree}, {"force", force}}, context, std::move(onResult), std::move(onError));
}

void BackendClient::requestConsole(VmId vm, QObject* context, std::function<void(const ConsoleInfo&)> onConsole,
                                   ErrorHandler onError)
{
    call("vm.console", {{"vm", vm}}, context,
         [onConsole = std::move(onConsole)](const QJsonObject& r) { onConsole(ConsoleInfo::fromJson(r)); },
         std::move(onError));
}

void BackendClient::requestStats(VmId vm, QObject* context, std::function<void(const VmStats&)> onStats,
                                 ErrorHandler onError)
{
    call("vm.stats", {{"vm", vm}}, context,
         [onStats = std::move(onStats)](const QJsonObject& r) { onStats(VmStats::fromJson(r)); }, std::move(onError));
}

void BackendClient::saveDisk(const DiskSaveRequest& request, QObject* context,
                             std::function<void(const DiskSaveResult&)> onSaved, ErrorHandler onError)
{
    call("vm.disk_save", request.toParams(), context,
         [onSaved = std::move(onSaved)](const QJsonObject& r) { onSaved(DiskSaveResult::fromJson(r)); },
         std::move(onError));
}

void BackendClient::subscribeMetrics(double hz) { call("metrics.subscribe", {{"hz", hz}}); }

void BackendClient::listTemplates(QObject* context, std::function<void(const QList<TemplateInfo>&)> onList,
                                  ErrorHandler onError)
{
    call("template.list", {}, context,
         [onList = std::move(onList)](const QJsonObject& r) {
             QList<TemplateInfo> templates;
             for (const QJsonValue& t : r.value("templates").toArray()) templates.append(TemplateInfo::fromJson(t.toObject()));
             onList(templates);
         },
         std::move(onError));
}

void BackendClient::saveTemplate(const SaveTemplateRequest& request, QObject* context,
                                 std::function<void(const TemplateInfo&)> onSaved, ErrorHandler onError)
{
    call("vm.save", request.toParams(), context,
         [onSaved = std::move(onSaved)](const QJsonObject& r) { onSaved(TemplateInfo::fromJson(r.value("template").toObject())); },
         std::move(onError));
}

void BackendClient::deleteTemplate(const QString& name, QObject* context,
                                   std::function<void(const QString&)> onDeleted, ErrorHandler onError)
{
    call("template.delete", {{"name", name}}, context,
         [onDeleted = std::move(onDeleted), name](const QJsonObject& r) { onDeleted(r.value("deleted").toString(name)); },
         std::move(onError));
}

void BackendClient::bootFromTemplate(const TemplateBootRequest& request, QObject* context,
                                     std::function<void(const VmInfo&)> onBooted, ErrorHandler onError)
{
    call("vm.boot", request.toParams(), context,
         [onBooted = std::move(onBooted)](const QJsonObject& r) { onBooted(VmInfo::fromJson(r.value("vm").toObject())); },
         std::move(onError));
}

void BackendClient::failAllPending(const QString& reason)
{
    // Handlers may issue new calls or drop the client: work on a detached copy.
    const QHash<qint64, Pending> pending = std::exchange(m_pending, {});
    const RpcError error{0, reason, {}};
    for (const Pending& p : pending) {
        if (p.hasContext && !p.context) continue;
        if (p.onError)
            p.onError(error);
        else if (p.method != "hello")
            Q_EMIT requestFailed(p.method, error);
    }
}

void BackendClient::dropConnection(const QString& reason, bool reconnect)
{
    const bool hadConnection = m_state == State::Handshaking || m_state == State::Connected;
    // Disconnected first: abort() emits QLocalSocket::disconnected at once.
    setState(State::Disconnected);
    m_socket->abort();
    m_framer.reset();
    failAllPending(reason);
    m_expired.clear();  // ids are never reused: nothing late can come on a new connection
    // Reconnect attempts fail the same way every second: say it once.
    if (hadConnection || reason != m_lastReason) Q_EMIT disconnected(reason);
    m_lastReason = reason;
    if (reconnect) scheduleReconnect();
}

void BackendClient::scheduleReconnect()
{
    if (m_autoReconnect && !m_reconnect.isActive()) m_reconnect.start();
}

}  // namespace hf::ui
