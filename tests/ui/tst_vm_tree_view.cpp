// The VM tree as the user sees it: names in the Name column and ids in their
// own, sortable headers (siblings sorted, fork order back on the third
// click), header tooltips that explain shared and private memory, memory in
// MiB, CPU usage from the daemon's CPU time, the fork phases as lines of a
// tooltip, and an empty tree that says how to boot a VM.
#include "app_fixture.h"

#include <QAbstractItemModelTester>
#include <QHeaderView>
#include <QLabel>
#include <QRegularExpression>
#include <QTreeView>

using namespace hf::ui;
using namespace hf::ui::test;

namespace {

int columnNamed(const QAbstractItemModel* model, const QString& name)
{
    for (int c = 0; c < model->columnCount(); ++c)
        if (model->headerData(c, Qt::Horizontal).toString() == name) return c;
    return -1;
}

// The names of `parent`'s children as the view shows them, top to bottom.
QStringList shownNames(const QTreeView* view, const QModelIndex& parent = {})
{
    QStringList names;
    const QAbstractItemModel* model = view->model();
    for (int r = 0; r < model->rowCount(parent); ++r) names << model->index(r, 0, parent).data().toString();
    return names;
}

void clickHeader(QTreeView* view, int column)
{
    QHeaderView* header = view->header();
    const QPoint at(header->sectionViewportPosition(column) + header->sectionSize(column) / 2, header->height() / 2);
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, at);
}

}  // namespace

class TestVmTreeView : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { useTestSettings("tst_vm_tree_view"); }
    void init() { QSettings().clear(); }

    void namesAndIdsInTheirOwnColumns()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue()), vmJson(3, "w-1", 1)}));
        QTreeView* view = app.window->treeView();
        QAbstractItemModelTester tester(view->model());
        QCOMPARE(viewIndexOf(view, 1).data().toString(), "ref");
        QCOMPARE(viewIndexOf(view, 3).data().toString(), "w-1");
        const int id = columnNamed(view->model(), "ID");
        QVERIFY(id > 0);
        QCOMPARE(viewIndexOf(view, 3, id).data().toString(), "3");
    }

    void headersSort_data()
    {
        QTest::addColumn<QString>("column");
        QTest::addColumn<QStringList>("ascending");  // the roots after one click
        QTest::newRow("Name, numbers in order") << "Name" << QStringList{"alpha", "w-2", "w-10"};
        QTest::newRow("ID") << "ID" << QStringList{"alpha", "w-10", "w-2"};
        QTest::newRow("Memory") << "Memory" << QStringList{"alpha", "w-2", "w-10"};
    }
    void headersSort()
    {
        QFETCH(QString, column);
        QFETCH(QStringList, ascending);
        QJsonObject a = vmJson(5, "alpha", QJsonValue());
        a["memory"] = 128 << 20;
        QJsonObject w10 = vmJson(7, "w-10", QJsonValue());
        w10["memory"] = 1024 << 20;
        const QJsonObject w2 = vmJson(9, "w-2", QJsonValue());
        AppFixture app(m_dir.path());
        QVERIFY(app.start({w10, a, w2}));
        QTreeView* view = app.window->treeView();
        QAbstractItemModelTester tester(view->model());
        const QStringList forkOrder{"w-10", "alpha", "w-2"};
        QCOMPARE(shownNames(view), forkOrder);
        const int c = columnNamed(view->model(), column);
        QVERIFY(c >= 0);
        clickHeader(view, c);
        QCOMPARE(shownNames(view), ascending);
        clickHeader(view, c);
        QStringList descending = ascending;
        std::reverse(descending.begin(), descending.end());
        QCOMPARE(shownNames(view), descending);
        clickHeader(view, c);  // third click: the daemon's order again
        QCOMPARE(shownNames(view), forkOrder);
    }

    void sortingKeepsClonesUnderTheirParent()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue()), vmJson(2, "w-2", 1), vmJson(3, "w-1", 1), vmJson(4, "a", QJsonValue())}));
        QTreeView* view = app.window->treeView();
        QAbstractItemModelTester tester(view->model());
        clickHeader(view, columnNamed(view->model(), "Name"));
        QCOMPARE(shownNames(view), (QStringList{"a", "ref"}));
        QCOMPARE(shownNames(view, viewIndexOf(view, 1)), (QStringList{"w-1", "w-2"}));
        // Selection and actions still name the right VM.
        app.window->selectVm(3);
        QCOMPARE(app.window->selectedVms(), QList<VmId>{3});
        QCOMPARE(view->currentIndex().data().toString(), "w-1");
    }

    void headerTooltipsExplain_data()
    {
        QTest::addColumn<QString>("column");
        QTest::addColumn<QString>("says");
        QTest::newRow("Shared") << "Shared" << "copy-on-write";
        QTest::newRow("Private") << "Private" << "only this VM";
        QTest::newRow("CPU") << "CPU" << "CPU time";
        QTest::newRow("Fork latency") << "Fork latency" << "phases";
    }
    void headerTooltipsExplain()
    {
        QFETCH(QString, column);
        QFETCH(QString, says);
        AppFixture app(m_dir.path());
        QVERIFY(app.start({}));
        const QAbstractItemModel* model = app.window->treeView()->model();
        const int c = columnNamed(model, column);
        QVERIFY2(c >= 0, qPrintable(column));
        const QString tip = model->headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(says, Qt::CaseInsensitive), qPrintable(tip));
    }

    void memoryInMibAndCpuUsage()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        // 29696 shared pages of 4 KiB are 116 MiB; 512 private pages 2 MiB.
        app.tick(1790000000000, {sampleJson(1, 29696, 512, 120832, 120832, 1000)});
        app.tick(1790000001000, {sampleJson(1, 29696, 512, 120832, 120832, 1500)});
        QTreeView* view = app.window->treeView();
        const QAbstractItemModel* model = view->model();
        QTRY_COMPARE(viewIndexOf(view, 1, columnNamed(model, "CPU")).data().toString(), "50 %");
        QCOMPARE(viewIndexOf(view, 1, columnNamed(model, "Shared")).data().toString(), "116 MiB");
        QCOMPARE(viewIndexOf(view, 1, columnNamed(model, "Private")).data().toString(), "2.0 MiB");
    }

    void forkPhasesTooltipHasOneLineEach()
    {
        QJsonObject w1 = vmJson(2, "w-1", 1);
        w1["fork"] = QJsonObject{{"latency_ms", 41.2},
                                 {"phases_ms", QJsonObject{{"pause", 9.1}, {"capture", 2.0}, {"fork", 11.3},
                                                           {"rebuild", 14.2}, {"restore", 3.0}, {"resume", 1.6}}}};
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue()), w1}));
        QTreeView* view = app.window->treeView();
        const QString tip = viewIndexOf(view, 2, columnNamed(view->model(), "Fork latency")).data(Qt::ToolTipRole).toString();
        const QStringList lines = tip.split('\n');
        QVERIFY2(lines.size() >= 7, qPrintable(tip));
        QVERIFY2(tip.contains(QRegularExpression("\\n\\s*pause\\s+9\\.1 ms")), qPrintable(tip));
        QVERIFY(tip.contains(QRegularExpression("\\n\\s*resume\\s+1\\.6 ms")));
    }

    void emptyTreeSaysHowToBoot()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({}));
        auto* hint = app.window->treeView()->findChild<QLabel*>("placeholder");
        QVERIFY(hint);
        QVERIFY(hint->isVisible());
        QVERIFY2(hint->text().contains("Boot VM") && hint->text().contains("Ctrl+B"), qPrintable(hint->text()));
        app.event("vm.booted", {{"vm", vmJson(1, "ref", QJsonValue())}});
        QTRY_VERIFY(!hint->isVisible());
    }
};

QTEST_MAIN(TestVmTreeView)
#include "tst_vm_tree_view.moc"
