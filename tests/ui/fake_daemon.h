#pragma once
// A QLocalServer playing hyperforkd for the ui tests: answers hello by
// itself, records every request, and writes whatever the test says. With
// answerTemplates it also keeps a folder of templates on disk of its own:
// template.list lists `templates`, template.delete removes one by name (or
// says there is none, as hyperforkd would). vm.save and vm.boot stay the
// test's to answer: it decides on progress, errors and timing.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>

namespace hf::ui::test {

// The daemon's side of one connection: reads lines, writes what the test says.
class FakeDaemon : public QObject {
public:
    explicit FakeDaemon(const QString& path)
        : m_path(path)
    {
        connect(&m_server, &QLocalServer::newConnection, this, [this] {
            m_peer = m_server.nextPendingConnection();
            connect(m_peer, &QLocalSocket::readyRead, this, [this] {
                m_buffer += m_peer->readAll();
                for (qsizetype nl; (nl = m_buffer.indexOf('\n')) >= 0;) {
                    received.append(QJsonDocument::fromJson(m_buffer.left(nl)).object());
                    m_buffer.remove(0, nl + 1);
                    const QString method = received.last().value("method").toString();
                    if (autoHello && method == "hello") answerHello(received.last());
                    if (answerTemplates && method.startsWith("template.")) answerTemplate(received.last());
                }
            });
        });
    }
    bool listen() { return m_server.listen(m_path); }
    bool hasPeer() const { return m_peer != nullptr; }
    void stop()
    {
        if (m_peer) m_peer->abort();
        m_server.close();
    }
    void write(const QByteArray& bytes)
    {
        m_peer->write(bytes);
        m_peer->flush();
    }
    void send(const QJsonObject& o) { write(QJsonDocument(o).toJson(QJsonDocument::Compact) + "\n"); }
    void reply(const QJsonObject& request, const QJsonObject& result)
    {
        send({{"jsonrpc", "2.0"}, {"id", request.value("id")}, {"result", result}});
    }
    void replyError(const QJsonObject& request, int code, const QString& message)
    {
        send({{"jsonrpc", "2.0"}, {"id", request.value("id")}, {"error", QJsonObject{{"code", code}, {"message", message}}}});
    }
    void answerTemplate(const QJsonObject& request)
    {
        const QString method = request.value("method").toString();
        if (method == "template.list") return reply(request, {{"templates", templates}});
        if (method != "template.delete") return replyError(request, -32601, "method not found: " + method);
        const QString name = request.value("params").toObject().value("name").toString();
        for (qsizetype i = 0; i < templates.size(); ++i)
            if (templates[i].toObject().value("name") == name) {
                templates.removeAt(i);
                return reply(request, {{"deleted", name}});
            }
        replyError(request, -32602, QStringLiteral("no template named '%1'").arg(name));
    }
    void answerHello(const QJsonObject& hello)
    {
        QJsonObject result{{"protocol", protocol}, {"daemon", "hyperforkd"}, {"version", "0.1.0"}, {"pid", 4242},
                           {"kvm", QJsonObject{{"available", kvmAvailable}, {"detail", kvmDetail}}}};
        if (protocolMinor > 0) {
            result["protocol_minor"] = protocolMinor;
            result["templates_dir"] = "/var/lib/hyperfork/templates";
        }
        reply(hello, result);
    }
    QJsonObject lastRequest(const QString& method) const
    {
        for (auto it = received.crbegin(); it != received.crend(); ++it)
            if (it->value("method") == method) return *it;
        return {};
    }

    QList<QJsonObject> received;
    bool autoHello = true;
    int protocol = 1;
    int protocolMinor = 1;  // 0: a daemon older than templates on disk (no protocol_minor in hello)
    bool kvmAvailable = true;
    QString kvmDetail = "/dev/kvm API 12";
    bool answerTemplates = false;
    QJsonArray templates;  // TemplateInfo objects (diskTemplateJson, brokenTemplateJson)

private:
    QString m_path;
    QLocalServer m_server;
    QPointer<QLocalSocket> m_peer;
    QByteArray m_buffer;
};

// A template on disk as template.list and vm.save describe it.
inline QJsonObject diskTemplateJson(const QString& name, qint64 bytes, qint64 memory, qint64 createdUnixS,
                                const QString& sourceVm)
{
    return {{"name", name},         {"dir", "/var/lib/hyperfork/templates/" + name},
            {"bytes", bytes},       {"memory", memory},
            {"cpus", 1},            {"created", createdUnixS},
            {"source_vm", sourceVm}, {"hyperfork_version", "0.1.0"},
            {"disks", QJsonArray{}}, {"ready", true}};
}

// A template folder hyperforkd cannot read.
inline QJsonObject brokenTemplateJson(const QString& name, const QString& error)
{
    return {{"name", name}, {"dir", "/var/lib/hyperfork/templates/" + name}, {"error", error}};
}

}  // namespace hf::ui::test
