#pragma once
// A QLocalServer playing hyperforkd for the ui tests: answers hello by
// itself, records every request, and writes whatever the test says.
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
                    if (autoHello && received.last().value("method") == "hello") answerHello(received.last());
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
    void answerHello(const QJsonObject& hello)
    {
        reply(hello, {{"protocol", protocol}, {"daemon", "hyperforkd"}, {"version", "0.1.0"}, {"pid", 4242},
                      {"kvm", QJsonObject{{"available", kvmAvailable}, {"detail", kvmDetail}}}});
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
    bool kvmAvailable = true;
    QString kvmDetail = "/dev/kvm API 12";

private:
    QString m_path;
    QLocalServer m_server;
    QPointer<QLocalSocket> m_peer;
    QByteArray m_buffer;
};


}  // namespace hf::ui::test
