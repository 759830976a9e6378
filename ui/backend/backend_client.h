#pragma once
// The app's one connection to hyperforkd (docs/protocol.md): owns the
// QLocalSocket, frames lines, says hello, matches replies to requests by id,
// and turns events into typed signals. Never blocks the GUI thread: every
// request is answered through a callback or a signal. Reconnects by itself.
#include "backend/line_framer.h"
#include "backend/protocol_types.h"
#include "backend/requests.h"

#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QLocalSocket>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <functional>

namespace hf::ui {

struct RpcError {
    int code = 0;  // 0: the connection failed, not the daemon
    QString message;
    QJsonValue data;
    QString text() const;  // the message plus the useful part of data
};

class BackendClient : public QObject {
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Handshaking, Connected };
    Q_ENUM(State)

    static constexpr int protocolVersion = 1;
    // Replies carry console history and whole trees; far more than any real one.
    static constexpr qsizetype maxLine = 64 << 20;

    using ResultHandler = std::function<void(const QJsonObject& result)>;
    using ErrorHandler = std::function<void(const RpcError& error)>;

    explicit BackendClient(QObject* parent = nullptr);
    ~BackendClient() override;

    // $XDG_RUNTIME_DIR/hyperfork/hyperforkd.sock, else /tmp/hyperfork-<uid>/.
    static QString defaultSocketPath();
    void setSocketPath(const QString& path) { m_socketPath = path; }
    QString socketPath() const { return m_socketPath; }
    // While enabled, a lost or refused connection is retried every intervalMs.
    void setAutoReconnect(bool enabled, int intervalMs = 1000);

    void connectToDaemon();
    void disconnectFromDaemon();
    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    const DaemonInfo& daemonInfo() const { return m_daemon; }

    // Sends a request. The handlers run on the GUI thread when the answer
    // comes, unless `context` was destroyed meanwhile. Without onError a
    // failure is reported through requestFailed(). Returns the request id,
    // or -1 when not connected (onError has then already run).
    qint64 call(const QString& method, const QJsonObject& params = {}, QObject* context = nullptr,
                ResultHandler onResult = {}, ErrorHandler onError = {});

    // Typed requests; results arrive through the signals below or handlers.
    void listVms();
    // vm.list again, for what the daemon refreshes without an event (a
    // template's spares): answered through vmListRefreshed, never a reset.
    // Skipped while the previous refresh is unanswered.
    void refreshVms();
    void bootVm(const BootRequest& request, QObject* context = nullptr, std::function<void(const VmInfo&)> onBooted = {},
                ErrorHandler onError = {});
    void forkVm(const ForkRequest& request, QObject* context = nullptr, ResultHandler onResult = {},
                ErrorHandler onError = {});
    void pauseVm(VmId vm);
    // vm.template. The answer's VM object (spares included) also goes out
    // through vmStateChanged: the daemon's own vm.state came before its
    // spares were known.
    void makeTemplate(const TemplateRequest& request, QObject* context = nullptr,
                      std::function<void(const VmInfo&)> onDone = {}, ErrorHandler onError = {});
    void resumeVm(VmId vm);
    void stopVm(VmId vm, bool tree = false, bool force = false, QObject* context = nullptr, ResultHandler onResult = {},
                ErrorHandler onError = {});
    void requestConsole(VmId vm, QObject* context, std::function<void(const ConsoleInfo&)> onConsole,
                        ErrorHandler onError = {});
    void requestStats(VmId vm, QObject* context, std::function<void(const VmStats&)> onStats,
                      ErrorHandler onError = {});
    void saveDisk(const DiskSaveRequest& request, QObject* context, std::function<void(const DiskSaveResult&)> onSaved,
                  ErrorHandler onError = {});
    void subscribeMetrics(double hz);

    // Templates on disk (docs/protocol.md, vm.save and template.*).
    void listTemplates(QObject* context, std::function<void(const QList<TemplateInfo>&)> onList,
                       ErrorHandler onError = {});
    // vm.save; vm.save_progress events come through templateSaveProgress meanwhile.
    void saveTemplate(const SaveTemplateRequest& request, QObject* context,
                      std::function<void(const TemplateInfo&)> onSaved, ErrorHandler onError = {});
    void deleteTemplate(const QString& name, QObject* context, std::function<void(const QString& deleted)> onDeleted,
                        ErrorHandler onError = {});
    // vm.boot with `template`; the new VM also comes as vm.booted, as every boot's.
    void bootFromTemplate(const TemplateBootRequest& request, QObject* context,
                          std::function<void(const VmInfo&)> onBooted, ErrorHandler onError = {});

    // The app's own deadline for `method`: a request the daemon has not
    // answered after `ms` fails with code 0 and a late answer is dropped.
    // It backs up the daemon's deadlines (docs/protocol.md, Deadlines), so
    // it is longer than theirs. 0: none (every method without one).
    void setDeadline(const QString& method, int ms);
    int deadline(const QString& method) const { return m_deadlines.value(method); }

Q_SIGNALS:
    void stateChanged(hf::ui::BackendClient::State state);
    void connected(const hf::ui::DaemonInfo& daemon);
    // The connection ended or could not be made; `reason` is for people.
    void disconnected(const QString& reason);
    void vmListReceived(const QList<hf::ui::VmInfo>& vms);
    void vmListRefreshed(const QList<hf::ui::VmInfo>& vms);  // refreshVms()' answer
    void vmBooted(const hf::ui::VmInfo& vm);
    void vmReady(hf::ui::VmId vm, double ms);
    void vmForked(const hf::ui::ForkEvent& fork);
    // vm.fork with when:"on-guest-signal" was answered: the guest's next
    // hf-signal fork makes `count` clones of `vm`.
    void vmArmed(hf::ui::VmId vm, int count);
    void vmStateChanged(const hf::ui::VmInfo& vm);
    void vmExited(const hf::ui::ExitInfo& exit);
    void metricsSampled(const hf::ui::MetricsSample& sample);
    // vm.save_progress: a save to a template on disk wrote `done` of `total` bytes.
    void templateSaveProgress(const hf::ui::SaveProgress& progress);
    // A request without an error handler failed.
    void requestFailed(const QString& method, const hf::ui::RpcError& error);
    // The daemon sent something this client cannot read (logged, skipped).
    void protocolWarning(const QString& what);

private:
    struct Pending {
        QString method;
        QPointer<QObject> context;
        bool hasContext = false;
        ResultHandler onResult;
        ErrorHandler onError;
    };

    void setState(State state);
    void onConnected();
    void onReadyRead();
    void onSocketError(QLocalSocket::LocalSocketError error);
    void onSocketDisconnected();
    void handleLine(const QByteArray& line);
    void handleReply(const QJsonObject& message);
    void handleEvent(const QString& method, const QJsonObject& params);
    void send(const QJsonObject& message);
    void dropConnection(const QString& reason, bool reconnect = true);
    void failAllPending(const QString& reason);
    void scheduleReconnect();
    void expire(qint64 id);

    QLocalSocket* m_socket;
    QTimer m_reconnect;
    bool m_autoReconnect = false;
    QString m_socketPath;
    State m_state = State::Disconnected;
    LineFramer m_framer{maxLine};
    qint64 m_nextId = 1;
    QHash<qint64, Pending> m_pending;
    DaemonInfo m_daemon;
    QString m_lastReason;
    bool m_refreshing = false;  // a refreshVms() is unanswered
    QHash<QString, int> m_deadlines;
    QSet<qint64> m_expired;  // requests past their deadline: their late answers are dropped quietly
};

}  // namespace hf::ui

Q_DECLARE_METATYPE(hf::ui::RpcError)
