// BackendClient against a QLocalServer standing in for hyperforkd: the
// handshake, framing across partial reads, malformed lines, replies matched by
// id, errors, and the daemon going away and coming back; vm.template's answer
// and the spares refresh. LineFramer's own cases are at the end.
#include "backend/backend_client.h"
#include "backend/line_framer.h"
#include "fake_daemon.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hf::ui;
using hf::ui::test::FakeDaemon;

namespace {

QByteArray eventLine(const char* method, const QJsonObject& params)
{
    return QJsonDocument(QJsonObject{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}}).toJson(QJsonDocument::Compact) + "\n";
}

}  // namespace

class TestBackendClient : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString path() const { return m_dir.filePath("hyperforkd.sock"); }

    // The fake daemon listening and the client through hello with it.
    void connectBoth(FakeDaemon& daemon, BackendClient& client)
    {
        QVERIFY(daemon.listen());
        client.setSocketPath(path());
        QSignalSpy connected(&client, &BackendClient::connected);
        client.connectToDaemon();
        QTRY_COMPARE(connected.size(), 1);
    }

private Q_SLOTS:
    void init() { QLocalServer::removeServer(path()); }

    void helloThenConnected()
    {
        FakeDaemon daemon(path());
        BackendClient client;
        connectBoth(daemon, client);
        if (QTest::currentTestFailed()) return;
        const QJsonObject hello = daemon.received.first();
        QCOMPARE(hello.value("method").toString(), "hello");
        QCOMPARE(hello.value("params").toObject().value("protocol").toInt(), 1);
        QCOMPARE(client.daemonInfo().pid, 4242);
        QVERIFY(client.daemonInfo().kvmAvailable);
        QVERIFY(client.isConnected());
    }

    void noDaemonSaysSoOnce()
    {
        BackendClient client;
        client.setSocketPath(path());
        client.setAutoReconnect(true, 20);
        QSignalSpy disconnected(&client, &BackendClient::disconnected);
        client.connectToDaemon();
        QTRY_COMPARE(disconnected.size(), 1);
        QVERIFY2(disconnected.first().first().toString().contains("not running"), qPrintable(disconnected.first().first().toString()));
        QTest::qWait(200);  // ten retries later: still one message
        QCOMPARE(disconnected.size(), 1);
        // ...and once the daemon is there, the retries find it.
        FakeDaemon daemon(path());
        QVERIFY(daemon.listen());
        QSignalSpy connected(&client, &BackendClient::connected);
        QTRY_COMPARE(connected.size(), 1);
    }

    void eventsSurvivePartialReads_data()
    {
        QTest::addColumn<int>("chunk");
        QTest::newRow("byte by byte") << 1;
        QTest::newRow("7 bytes") << 7;
        QTest::newRow("whole") << 100000;
    }
    void eventsSurvivePartialReads()
    {
        QFETCH(int, chunk);
        FakeDaemon daemon(path());
        BackendClient client;
        connectBoth(daemon, client);
        if (QTest::currentTestFailed()) return;
        QSignalSpy exited(&client, &BackendClient::vmExited);
        QSignalSpy ready(&client, &BackendClient::vmReady);
        const QByteArray bytes =
            eventLine("vm.exited", {{"vm", 3}, {"name", "w-2"}, {"pid", 1302}, {"status", QJsonValue()}, {"signal", 9},
                                {"reason", "killed by signal 9 (Killed)"}}) +
            eventLine("vm.ready", {{"vm", 1}, {"ms", 7012.5}}).replace("\n", "\r\n");
        for (qsizetype i = 0; i < bytes.size(); i += chunk) {
            daemon.write(bytes.mid(i, chunk));
            QCoreApplication::processEvents();
        }
        QTRY_COMPARE(ready.size(), 1);
        QCOMPARE(exited.size(), 1);
        const auto e = exited.first().first().value<ExitInfo>();
        QCOMPARE(e.vm, 3);
        QCOMPARE(e.signal, 9);
        QVERIFY(!e.status);
        QCOMPARE(e.reason, "killed by signal 9 (Killed)");
        QCOMPARE(ready.first().at(1).toDouble(), 7012.5);
    }

    void malformedLinesAreSkipped_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::newRow("not json") << QByteArray("hello there\n");
        QTest::newRow("array") << QByteArray("[1,2]\n");
        QTest::newRow("truncated") << QByteArray("{\"jsonrpc\":\"2.0\",\"method\":\n");
        QTest::newRow("neither reply nor event") << QByteArray("{\"jsonrpc\":\"2.0\"}\n");
        QTest::newRow("reply to nothing") << QByteArray("{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":{}}\n");
        QTest::newRow("invalid utf-8") << QByteArray("{\"x\":\"\xff\xfe\"\n");
    }
    void malformedLinesAreSkipped()
    {
        QFETCH(QByteArray, line);
        FakeDaemon daemon(path());
        BackendClient client;
        connectBoth(daemon, client);
        if (QTest::currentTestFailed()) return;
        QSignalSpy warnings(&client, &BackendClient::protocolWarning);
        QSignalSpy ready(&client, &BackendClient::vmReady);
        daemon.write(line + eventLine("vm.ready", {{"vm", 5}, {"ms", 1.0}}));
        QTRY_COMPARE(ready.size(), 1);
        QCOMPARE(warnings.size(), 1);
        QVERIFY(client.isConnected());
    }

    void repliesMatchTheirRequests()
    {
        FakeDaemon daemon(path());
        BackendClient client;
        connectBoth(daemon, client);
        if (QTest::currentTestFailed()) return;
        VmStats stats1, stats2;
        int answered = 0;
        client.requestStats(1, this, [&](const VmStats& s) { stats1 = s; ++answered; });
        client.requestStats(2, this, [&](const VmStats& s) { stats2 = s; ++answered; });
        QTRY_COMPARE(daemon.received.size(), 3);
        // Answered in reverse order, as the daemon may.
        daemon.reply(daemon.received.at(2), {{"vm", 2}, {"shared_pages", 20}, {"private_pages", 2}});
        daemon.reply(daemon.received.at(1), {{"vm", 1}, {"shared_pages", 10}, {"private_pages", 1}});
        QTRY_COMPARE(answered, 2);
        QCOMPARE(stats1.sample.sharedPages, 10);
        QCOMPARE(stats2.sample.sharedPages, 20);
        QCOMPARE(daemon.received.at(1).value("params").toObject().value("vm").toInt(), 1);
    }

    // vm.template's answer is news for every model (the daemon's vm.state
    // came before the spares were known); a refresh is no new list.
    void templateAndSparesRefresh()
    {
        FakeDaemon daemon(path());
        BackendClient client;
        connectBoth(daemon, client);
        if (QTest::currentTestFailed()) return;
        QSignalSpy state(&client, &BackendClient::vmStateChanged);
        VmInfo answered;
        client.makeTemplate(TemplateRequest{1, 3}, this, [&](const VmInfo& vm) { answered = vm; });
        QTRY_VERIFY(!daemon.lastRequest("vm.template").isEmpty());
        QCOMPARE(daemon.lastRequest("vm.template").value("params").toObject(), (QJsonObject{{"vm", 1}, {"spares", 3}}));
        const QJsonObject spares{{"template", true}, {"wanted", 3}, {"ready", 1}, {"served", 0}};
        daemon.reply(daemon.lastRequest("vm.template"),
                     {{"vm", QJsonObject{{"id", 1}, {"name", "ref"}, {"state", "paused"}, {"spares", spares}}}});
        QTRY_COMPARE(state.size(), 1);
        const VmInfo vm = state.at(0).at(0).value<VmInfo>();
        QVERIFY(vm.spares);
        QCOMPARE(*vm.spares, (SparesInfo{3, 1, 0}));
        QCOMPARE(answered.spares, vm.spares);

        QSignalSpy listed(&client, &BackendClient::vmListReceived);
        QSignalSpy refreshed(&client, &BackendClient::vmListRefreshed);
        client.refreshVms();
        client.refreshVms();  // the first is unanswered: not sent again
        QTRY_COMPARE(daemon.received.size(), 3);
        QTest::qWait(50);
        QCOMPARE(daemon.received.size(), 3);
        daemon.reply(daemon.lastRequest("vm.list"), {{"vms", QJsonArray{QJsonObject{{"id", 1}, {"spares", spares}}}}});
        QTRY_COMPARE(refreshed.size(), 1);
        QCOMPARE(listed.size(), 0);
        QCOMPARE(refreshed.at(0).at(0).value<QList<VmInfo>>().size(), 1);
        client.refreshVms();  // answered: the next one goes
        QTRY_COMPARE(daemon.received.size(), 4);
    }

    void errorsReachTheirHandler()
    {
        FakeDaemon daemon(path());
        BackendClient client;
        connectBoth(daemon, client);
        if (QTest::currentTestFailed()) return;
        RpcError error;
        BootRequest boot;
        boot.kernel = "/nope/vmlinuz";
        client.bootVm(boot, this, [](const VmInfo&) { QFAIL("booted?"); }, [&](const RpcError& e) { error = e; });
        QTRY_VERIFY(!daemon.lastRequest("vm.boot").isEmpty());
        const QJsonObject request = daemon.lastRequest("vm.boot");
        QCOMPARE(request.value("params").toObject().value("kernel").toString(), "/nope/vmlinuz");
        daemon.send({{"jsonrpc", "2.0"},
                     {"id", request.value("id")},
                     {"error", QJsonObject{{"code", -32014},
                                           {"message", "the VMM exited during boot"},
                                           {"data", QJsonObject{{"stderr", "error: not a bzImage"}}}}}});
        QTRY_COMPARE(error.code, -32014);
        QCOMPARE(error.text(), "the VMM exited during boot\nerror: not a bzImage");

        // Without a handler the failure is a signal.
        QSignalSpy failed(&client, &BackendClient::requestFailed);
        client.pauseVm(77);
        QTRY_VERIFY(!daemon.lastRequest("vm.pause").isEmpty());
        daemon.send({{"jsonrpc", "2.0"}, {"id", daemon.lastRequest("vm.pause").value("id")},
                     {"error", QJsonObject{{"code", -32010}, {"message", "no such VM: 77"}}}});
        QTRY_COMPARE(failed.size(), 1);
        QCOMPARE(failed.first().first().toString(), "vm.pause");
    }

    void goneContextIsNotCalled()
    {
        FakeDaemon daemon(path());
        BackendClient client;
        connectBoth(daemon, client);
        if (QTest::currentTestFailed()) return;
        bool called = false;
        auto* context = new QObject;
        client.requestConsole(7, context, [&](const ConsoleInfo&) { called = true; });
        QTRY_VERIFY(!daemon.lastRequest("vm.console").isEmpty());
        delete context;
        daemon.reply(daemon.lastRequest("vm.console"), {{"vm", 7}, {"pty", "/dev/pts/9"}, {"history", "x"}});
        QTest::qWait(50);
        QVERIFY(!called);
    }

    void daemonGoneAndBack()
    {
        auto daemon = std::make_unique<FakeDaemon>(path());
        QVERIFY(daemon->listen());
        BackendClient client;
        client.setSocketPath(path());
        client.setAutoReconnect(true, 50);
        QSignalSpy connected(&client, &BackendClient::connected);
        QSignalSpy disconnected(&client, &BackendClient::disconnected);
        client.connectToDaemon();
        QTRY_COMPARE(connected.size(), 1);
        RpcError pendingError;
        client.requestStats(1, this, [](const VmStats&) {}, [&](const RpcError& e) { pendingError = e; });
        QTRY_VERIFY(!daemon->lastRequest("vm.stats").isEmpty());
        daemon->stop();
        daemon.reset();
        QTRY_COMPARE(disconnected.size(), 1);
        QVERIFY(!client.isConnected());
        QCOMPARE(pendingError.code, 0);  // the connection failed, not the daemon
        QVERIFY(!pendingError.message.isEmpty());
        // Requests while down fail at once, with a reason.
        RpcError downError;
        QCOMPARE(client.call("vm.list", {}, this, {}, [&](const RpcError& e) { downError = e; }), -1);
        QVERIFY(downError.message.contains("not connected"));

        daemon = std::make_unique<FakeDaemon>(path());
        QVERIFY(daemon->listen());
        QTRY_COMPARE(connected.size(), 2);
    }

    void otherProtocolVersionIsRefused()
    {
        FakeDaemon daemon(path());
        daemon.protocol = 2;
        QVERIFY(daemon.listen());
        BackendClient client;
        client.setSocketPath(path());
        QSignalSpy disconnected(&client, &BackendClient::disconnected);
        QSignalSpy connected(&client, &BackendClient::connected);
        client.connectToDaemon();
        QTRY_COMPARE(disconnected.size(), 1);
        QVERIFY(disconnected.first().first().toString().contains("protocol 2"));
        QCOMPARE(connected.size(), 0);
    }

    void typedEventsCarryTheirFields()
    {
        FakeDaemon daemon(path());
        BackendClient client;
        connectBoth(daemon, client);
        if (QTest::currentTestFailed()) return;
        QSignalSpy forked(&client, &BackendClient::vmForked);
        QSignalSpy sampled(&client, &BackendClient::metricsSampled);
        daemon.write(eventLine("vm.forked", {{"parent", 1}, {"origin", "guest"},
                                         {"latency_ms", QJsonObject{{"max", 48.0}, {"mean", 44.5}}},
                                         {"clones", QJsonArray{QJsonObject{{"id", 2}, {"name", "w-1"}, {"parent", 1},
                                                                           {"fork", QJsonObject{{"latency_ms", 41.0}}}}}}}) +
                     eventLine("metrics.sample", {{"t_unix_ms", 1790000000123.0}, {"hz", 2},
                                              {"samples", QJsonArray{QJsonObject{{"vm", 1}, {"shared_pages", 5}, {"private_pages", 6}}}}}) +
                     eventLine("vm.some-future-event", {{"x", 1}}));
        QTRY_COMPARE(sampled.size(), 1);
        QCOMPARE(forked.size(), 1);
        const auto f = forked.first().first().value<ForkEvent>();
        QCOMPARE(f.origin, "guest");
        QCOMPARE(f.meanMs, 44.5);
        QCOMPARE(f.clones.size(), 1);
        QCOMPARE(*f.clones.first().forkLatencyMs, 41.0);
        const auto m = sampled.first().first().value<MetricsSample>();
        QCOMPARE(m.tUnixMs, 1790000000123);
        QCOMPARE(m.samples.first().privatePages, 6);
    }

    void framer_data()
    {
        QTest::addColumn<QList<QByteArray>>("chunks");
        QTest::addColumn<QList<QByteArray>>("lines");
        QTest::addColumn<bool>("overflow");
        using L = QList<QByteArray>;
        QTest::newRow("one") << L{"abc\n"} << L{"abc"} << false;
        QTest::newRow("split") << L{"a", "b", "c\nd", "\n"} << L{"abc", "d"} << false;
        QTest::newRow("crlf") << L{"a\r\n\r\n"} << L{"a", ""} << false;
        QTest::newRow("no newline yet") << L{"abc"} << L{} << false;
        QTest::newRow("exactly max") << L{"0123456789\n"} << L{"0123456789"} << false;
        QTest::newRow("line too long") << L{"0123456789A\n"} << L{} << true;
        QTest::newRow("unterminated too long") << L{"01234", "56789AB"} << L{} << true;
        QTest::newRow("good then too long") << L{"ok\n0123456789ABC\nnext\n"} << L{"ok"} << true;
    }
    void framer()
    {
        QFETCH(QList<QByteArray>, chunks);
        QFETCH(QList<QByteArray>, lines);
        QFETCH(bool, overflow);
        LineFramer framer(10);
        QList<QByteArray> got;
        for (const QByteArray& c : chunks) got += framer.feed(c);
        QCOMPARE(got, lines);
        QCOMPARE(framer.overflow(), overflow);
    }
};

QTEST_MAIN(TestBackendClient)
#include "tst_backend_client.moc"
