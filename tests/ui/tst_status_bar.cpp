// The status bar: the VM count is a permanent widget (with proper plurals),
// so transient messages ("Forked 2 clones of ref", "Armed …", "Wrote …")
// last through metrics ticks; an armed VM shows a badge in the tree.
#include "app_fixture.h"

#include <QAction>
#include <QLabel>
#include <QStatusBar>

using namespace hf::ui;
using namespace hf::ui::test;

namespace {

QJsonObject clone(int id, const QString& name, int parent, double ms)
{
    QJsonObject c = vmJson(id, name, parent);
    c["origin"] = "command";
    c["fork"] = QJsonObject{{"latency_ms", ms}, {"phases_ms", QJsonObject{{"pause", 1.0}, {"fork", ms - 1}}}};
    return c;
}

}  // namespace

class TestStatusBar : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { useTestSettings("tst_status_bar"); }
    void init() { QSettings().clear(); }

    void messagesOutliveMetricsTicks()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        app.event("vm.forked", {{"parent", 1}, {"origin", "command"},
                                {"clones", QJsonArray{clone(2, "w-1", 1, 40), clone(3, "w-2", 1, 45)}},
                                {"latency_ms", QJsonObject{{"max", 45.0}, {"mean", 42.5}}}});
        QStatusBar* bar = app.window->statusBar();
        QTRY_VERIFY(!bar->currentMessage().isEmpty());
        const QString message = bar->currentMessage();
        QVERIFY2(message.contains("Forked 2 clones of ref"), qPrintable(message));
        // Ticks change every row's numbers; the message stays.
        for (int i = 0; i < 4; ++i) {
            app.tick(1790000000000 + i * 500, {sampleJson(1, 100, 10, 440, 200), sampleJson(2, 100, 1, 404, 101),
                                               sampleJson(3, 100, 1, 404, 101)});
            QTest::qWait(60);
        }
        QCOMPARE(bar->currentMessage(), message);
    }

    void vmCountIsAPermanentWidget_data()
    {
        QTest::addColumn<int>("vms");
        QTest::addColumn<QString>("text");
        QTest::newRow("none") << 0 << "No VMs";
        QTest::newRow("one") << 1 << "1 VM";
        QTest::newRow("three") << 3 << "3 VMs";
    }
    void vmCountIsAPermanentWidget()
    {
        QFETCH(int, vms);
        QFETCH(QString, text);
        QJsonArray list;
        for (int i = 1; i <= vms; ++i) list.append(vmJson(i, QStringLiteral("vm%1").arg(i), i == 1 ? QJsonValue() : QJsonValue(1)));
        AppFixture app(m_dir.path());
        QVERIFY(app.start(list));
        auto* count = app.window->statusBar()->findChild<QLabel*>("vmCount");
        QVERIFY(count);
        QVERIFY2(count->text().startsWith(text), qPrintable(count->text()));
        QVERIFY(!count->text().contains("(s)"));
        QVERIFY(app.window->statusBar()->currentMessage().isEmpty() || !app.window->statusBar()->currentMessage().contains("VM"));
    }

    void armedVmShowsABadge()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        app.window->selectVm(1);
        ForkRequest request;
        request.vm = 1;
        request.count = 4;
        request.when = ForkRequest::When::OnGuestSignal;
        app.controller->backend()->forkVm(request);
        QTRY_VERIFY(!app.daemon->lastRequest("vm.fork").isEmpty());
        app.daemon->reply(app.daemon->lastRequest("vm.fork"), {{"parent", 1}, {"armed", true}, {"count", 4}});
        const QModelIndex state = app.tree()->indexOf(1, VmTreeModel::State);
        QTRY_VERIFY2(state.data().toString().contains("armed"), qPrintable(state.data().toString()));
        QVERIFY(state.data(Qt::ToolTipRole).toString().contains("hf-signal fork"));
        // The guest forks: armed once, so the badge goes.
        app.event("vm.forked", {{"parent", 1}, {"origin", "guest"}, {"clones", QJsonArray{clone(2, "g-1", 1, 30)}}});
        QTRY_VERIFY(!app.tree()->indexOf(1, VmTreeModel::State).data().toString().contains("armed"));
    }
};

QTEST_MAIN(TestStatusBar)
#include "tst_status_bar.moc"
