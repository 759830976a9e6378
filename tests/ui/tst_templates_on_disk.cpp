// Templates on disk through the whole app, against the scripted daemon of
// app_fixture.h: the Templates dock lists what template.list says (sizes,
// RAM, local time, source; a broken one greyed with its error over the
// row), refreshed on open, by Refresh and after a save or delete; Start
// Clone asks a VM name and sends vm.boot with `template`; Delete asks,
// naming the template, and sends template.delete; Save as Template… in the
// VM and context menus validates the name, sends vm.save, shows
// vm.save_progress and the daemon's errors, and puts the new template in
// the list. Keep as Template… (in memory) stays a different thing in words.
#include "app_fixture.h"
#include "backend/requests.h"
#include "dialogs/name_dialog.h"
#include "dialogs/save_progress_dialog.h"
#include "models/template_list_model.h"
#include "window/placeholder_label.h"
#include "window/templates_panel.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QDateTime>
#include <QDockWidget>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTabBar>
#include <QTimer>
#include <QTreeView>

using namespace hf::ui;
using namespace hf::ui::test;

namespace {

constexpr qint64 MiB = 1 << 20;
constexpr qint64 created = 1'700'000'000;  // 2023-11-14 22:13:20 UTC

QJsonArray threeTemplates()
{
    return {diskTemplateJson("web", 130 * MiB + 512 * 1024, 512 * MiB, created, "ref"),
            brokenTemplateJson("old", "state.dtb: format version 9 is newer than this HyperFork's 1"),
            diskTemplateJson("db", 2 * 1024 * MiB, 2048 * MiB, created + 3600, "pg")};
}

// A visible dialog of type T that is a child of `parent`, or null.
template <typename T>
T* shown(QObject* parent, const QString& name)
{
    for (T* d : parent->findChildren<T*>(name))
        if (d->isVisible()) return d;
    return nullptr;
}

// Triggers `action` from the context menu `open()` pops up; false when the
// menu did not offer it.
bool triggerFromMenu(const std::function<void()>& open, QAction* action)
{
    bool offered = false;
    QTimer timer;
    timer.setInterval(20);
    QObject::connect(&timer, &QTimer::timeout, [&] {
        if (auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget())) {
            timer.stop();
            offered = menu->actions().contains(action);
            menu->close();
            if (offered) QTimer::singleShot(0, action, &QAction::trigger);  // after the menu's loop, as a click
        }
    });
    timer.start();
    open();
    if (!QTest::qWaitFor([&] { return !timer.isActive(); }, 5000)) return false;
    return offered;
}

// The tab bar the main window puts under its tabbed docks (Charts, Templates).
QTabBar* dockTabs(MainWindow* window)
{
    for (QTabBar* bar : window->findChildren<QTabBar*>())
        if (bar->parentWidget() == window && bar->count() == 2) return bar;
    return nullptr;
}

int tabIndex(const QTabBar* bar, const QString& text)
{
    for (int i = 0; i < bar->count(); ++i)
        if (bar->tabText(i).remove('&') == text) return i;
    return -1;
}

QMenu* vmMenu(MainWindow* window)
{
    for (QAction* a : window->menuBar()->actions())
        if (QString(a->text()).remove('&') == "VM") return a->menu();
    return nullptr;
}

// The app with the templates dock raised and its first list answered.
struct App {
    explicit App(const QString& dir, const QJsonArray& vms, const QJsonArray& templates = threeTemplates())
        : fixture(dir)
    {
        fixture.daemon->answerTemplates = true;
        fixture.daemon->templates = templates;
        started = fixture.start(vms);
        panel = fixture.window->templatesPanel();
        // Its tab chosen (the charts' is at first): asked again, once.
        const int asked = fixture.requestCount("template.list");
        fixture.window->findChild<QDockWidget*>("templatesDock")->raise();
        started = started && QTest::qWaitFor([&] { return fixture.requestCount("template.list") == asked + 1; }, 5000) &&
                  QTest::qWaitFor([&] { return model()->rowCount() == templates.size(); }, 5000);
    }
    TemplateListModel* model() { return fixture.controller->templates(); }
    QTreeView* view() { return panel->view(); }
    QString cell(const QString& name, int column) { return model()->indexOf(name, column).data().toString(); }

    AppFixture fixture;
    TemplatesPanel* panel = nullptr;
    bool started = false;
};

}  // namespace

class TestTemplatesOnDisk : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() { useTestSettings("tst_templates_on_disk"); }
    void init() { QSettings().clear(); }

    // ---- the protocol's objects and names, no window ----

    void templateInfoFromJson()
    {
        QJsonObject o = diskTemplateJson("web", 4096, 512 * MiB, created, "ref");
        o["disks"] = QJsonArray{QJsonObject{{"index", 0}}, QJsonObject{{"index", 1}}};
        o["cpus"] = 2;
        const TemplateInfo t = TemplateInfo::fromJson(o);
        QCOMPARE(t.name, "web");
        QCOMPARE(t.dir, "/var/lib/hyperfork/templates/web");
        QCOMPARE(t.bytes, 4096);
        QCOMPARE(t.memoryBytes, 512 * MiB);
        QCOMPARE(t.cpus, 2);
        QCOMPARE(t.createdUnixS, created);
        QCOMPARE(t.sourceVm, "ref");
        QCOMPARE(t.hyperforkVersion, "0.1.0");
        QCOMPARE(t.disks, 2);
        QVERIFY(t.guestReady);
        QVERIFY(!t.broken());
        o["disks"] = 3;  // a count does as well as a list
        QCOMPARE(TemplateInfo::fromJson(o).disks, 3);

        const TemplateInfo broken = TemplateInfo::fromJson(brokenTemplateJson("old", "truncated RAM file"));
        QVERIFY(broken.broken());
        QCOMPARE(broken.error, "truncated RAM file");
        QCOMPARE(broken.name, "old");
        // Nameless: nothing can be done with it, so it is broken whatever it says.
        QVERIFY(TemplateInfo::fromJson(QJsonObject{{"dir", "/x"}, {"bytes", 1}}).broken());

        const SaveProgress p = SaveProgress::fromJson(
            {{"vm", 3}, {"name", QJsonValue::Null}, {"dir", "/srv/t"}, {"done", 1024}, {"total", 4096}});
        QCOMPARE(p.vm, 3);
        QVERIFY(p.name.isEmpty());
        QCOMPARE(p.dir, "/srv/t");
        QCOMPARE(p.done, 1024);
        QCOMPARE(p.total, 4096);
    }

    void names_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("error");  // a part of it; empty: valid
        QTest::newRow("plain") << "web" << "";
        QTest::newRow("every kind") << "Web_1.v-2" << "";
        QTest::newRow("64") << QString(64, 'a') << "";
        QTest::newRow("65") << QString(65, 'a') << "at most 64";
        QTest::newRow("empty") << "" << "a name is needed";
        QTest::newRow("space") << "my web" << "only A-Z";
        QTest::newRow("slash") << "a/b" << "only A-Z";
        QTest::newRow("not ascii") << QString::fromUtf8("wéb") << "only A-Z";
        // The daemon's rule (vmm-core/base/names.h): never a hidden file or an option.
        QTest::newRow("leading dot") << ".web" << "not starting with . or -";
        QTest::newRow("leading dash") << "-web" << "not starting with . or -";
        QTest::newRow("dot dot") << ".." << "not starting with . or -";
        QTest::newRow("leading underscore") << "_web" << "";
        QTest::newRow("leading digit") << "1web" << "";
    }
    void names()
    {
        QFETCH(QString, name);
        QFETCH(QString, error);
        QCOMPARE(isValidTemplateName(name), error.isEmpty());
        if (error.isEmpty())
            QVERIFY(nameError(name).isEmpty());
        else
            QVERIFY2(nameError(name).contains(error), qPrintable(nameError(name)));
        // The requests check themselves the same way.
        QCOMPARE(SaveTemplateRequest({1, name}).validate().isEmpty(), error.isEmpty());
        QCOMPARE(TemplateBootRequest({name, "vm"}).validate().isEmpty(), error.isEmpty());
        QCOMPARE(TemplateBootRequest({"web", name}).validate().isEmpty(), error.isEmpty());
    }

    void requestsParams()
    {
        QCOMPARE(SaveTemplateRequest({3, "web"}).toParams(), (QJsonObject{{"vm", 3}, {"name", "web"}}));
        QVERIFY(!SaveTemplateRequest({0, "web"}).validate().isEmpty());
        QCOMPARE(TemplateBootRequest({"web", "web-1"}).toParams(),
                 (QJsonObject{{"template", "web"}, {"name", "web-1"}, {"wait", "started"}}));
    }

    void cloneNames()
    {
        QCOMPARE(suggestCloneName("web", {}), "web-1");
        QCOMPARE(suggestCloneName("web", {"web-1", "web-2", "ref"}), "web-3");
        // Within 64 bytes, still free.
        const QString longName(64, 'x');
        const QString suggested = suggestCloneName(longName, {QString(62, 'x') + "-1"});
        QCOMPARE(suggested, QString(62, 'x') + "-2");
        QVERIFY(isValidVmName(suggestCloneName(longName, {})));
        QCOMPARE(suggestCloneName("", {}), "vm-1");
        QCOMPARE(suggestCloneName("-.web", {}), "web-1");
    }

    void modelUnderTester()
    {
        TemplateListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSortFilterProxyModel sorted;
        sorted.setSourceModel(&model);
        sorted.setSortRole(TemplateListModel::SortRole);
        sorted.sort(TemplateListModel::Size);
        QAbstractItemModelTester sortedTester(&sorted, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QList<TemplateInfo> list;
        for (const QJsonValue& v : threeTemplates()) list << TemplateInfo::fromJson(v.toObject());
        model.setTemplates(list);
        QCOMPARE(model.rowCount(), 3);
        model.addOrUpdate(TemplateInfo::fromJson(diskTemplateJson("new", 1, MiB, created, "x")));
        QCOMPARE(model.rowCount(), 4);
        model.addOrUpdate(TemplateInfo::fromJson(diskTemplateJson("new", 2 * MiB, MiB, created, "x")));
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.find("new")->bytes, 2 * MiB);
        QCOMPARE(sorted.index(0, 0).data(TemplateListModel::NameRole).toString(), "old");  // broken: 0 bytes
        QCOMPARE(sorted.index(1, 0).data(TemplateListModel::NameRole).toString(), "new");
        model.remove("web");
        model.remove("nothing");
        QCOMPARE(model.rowCount(), 3);
        model.setListError("method not found");
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.listError(), "method not found");
        model.clear();
        QVERIFY(model.listError().isEmpty());
    }

    // ---- the Templates dock ----

    void listShowsSizesTimesAndTheBrokenOne()
    {
        App app(m_dir.path(), {vmJson(1, "ref", QJsonValue())});
        QVERIFY(app.started);
        QCOMPARE(app.cell("web", TemplateListModel::Name), "web");
        QCOMPARE(app.cell("web", TemplateListModel::Size), "130.5 MiB");
        QCOMPARE(app.cell("web", TemplateListModel::Memory), "512 MiB");
        QCOMPARE(app.cell("db", TemplateListModel::Size), "2 GiB");
        QCOMPARE(app.cell("db", TemplateListModel::Memory), "2 GiB");
        QCOMPARE(app.cell("web", TemplateListModel::Created),
                 QLocale().toString(QDateTime::fromSecsSinceEpoch(created).toLocalTime(), QLocale::ShortFormat));
        QCOMPARE(app.cell("web", TemplateListModel::Source), "ref");
        const QString tip = app.model()->indexOf("web", TemplateListModel::Size).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains("/var/lib/hyperfork/templates/web") && tip.contains("Start Clone"), qPrintable(tip));
        QStringList headers;
        for (int c = 0; c < TemplateListModel::ColumnCount; ++c)
            headers << app.model()->headerData(c, Qt::Horizontal).toString();
        QCOMPARE(headers, (QStringList{"Name", "On disk", "RAM", "Created", "Source VM"}));

        // The broken one: its error over the whole row, greyed, in its tooltip.
        const QModelIndex old = app.model()->indexOf("old");
        QVERIFY(old.data(TemplateListModel::BrokenRole).toBool());
        QVERIFY2(old.data().toString().contains("old — broken: state.dtb: format version 9"), qPrintable(old.data().toString()));
        QVERIFY(app.model()->indexOf("old", TemplateListModel::Size).data().toString().isEmpty());
        QCOMPARE(old.data(Qt::ForegroundRole).value<QBrush>().color(),
                 QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text));
        QVERIFY(!app.model()->indexOf("web").data(Qt::ForegroundRole).isValid());
        QVERIFY(old.data(Qt::ToolTipRole).toString().contains("format version 9"));
        auto* sorted = app.view()->model();
        for (int r = 0; r < sorted->rowCount(); ++r)
            QCOMPARE(app.view()->isFirstColumnSpanned(r, {}),
                     sorted->index(r, 0).data(TemplateListModel::NameRole).toString() == "old");
        QVERIFY(!app.panel->placeholder()->isVisible());

        // Sortable by a header click: the size column, smallest first (the broken one knows none).
        QHeaderView* header = app.view()->header();
        QVERIFY(header->sectionsClickable());
        const QPoint sizeHeader(header->sectionViewportPosition(TemplateListModel::Size) + 5, header->height() / 2);
        QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, sizeHeader);
        QCOMPARE(header->sortIndicatorSection(), int(TemplateListModel::Size));
        QStringList order;
        for (int r = 0; r < sorted->rowCount(); ++r) order << sorted->index(r, 0).data(TemplateListModel::NameRole).toString();
        QCOMPARE(order, (QStringList{"old", "web", "db"}));
        // Spans follow the rows through the sort.
        QVERIFY(app.view()->isFirstColumnSpanned(0, {}));
        QVERIFY(!app.view()->isFirstColumnSpanned(2, {}));
    }

    void refreshedOnOpenByRefreshAndNewestWins()
    {
        App app(m_dir.path(), {});
        QVERIFY(app.started);
        const int asked = app.fixture.requestCount("template.list");
        QVERIFY(asked >= 1);  // on connecting
        // Shown again (its tab raised after the charts'): asked again.
        QTabBar* tabs = dockTabs(app.fixture.window.get());
        QVERIFY(tabs);
        auto* dock = app.fixture.window->findChild<QDockWidget*>("templatesDock");
        QSignalSpy visibility(dock, &QDockWidget::visibilityChanged);
        tabs->setCurrentIndex(tabIndex(tabs, "Charts"));
        QTRY_COMPARE(visibility.size(), 1);
        QCOMPARE(app.fixture.requestCount("template.list"), asked);
        tabs->setCurrentIndex(tabIndex(tabs, "Templates"));
        QTRY_COMPARE(app.fixture.requestCount("template.list"), asked + 1);

        // Refresh, by its action and by F5 on the list; answers of older requests are dropped.
        app.fixture.daemon->answerTemplates = false;
        QAction* refresh = app.fixture.window->action("refreshTemplates");
        QVERIFY(refresh && refresh->isEnabled());
        refresh->trigger();
        app.view()->setFocus();
        QTest::keyClick(app.view(), Qt::Key_F5);
        QTRY_COMPARE(app.fixture.requestCount("template.list"), asked + 3);
        QJsonObject first, second;
        for (const QJsonObject& r : app.fixture.daemon->received)
            if (r.value("method") == "template.list") first = std::exchange(second, r);
        app.fixture.daemon->reply(second, {{"templates", QJsonArray{diskTemplateJson("fresh", 1, MiB, created, "a")}}});
        QTRY_VERIFY(app.model()->find("fresh"));
        app.fixture.daemon->reply(first, {{"templates", QJsonArray{}}});
        QTest::qWait(100);
        QCOMPARE(app.model()->rowCount(), 1);
    }

    void listErrorAndEmptyListSayWhy()
    {
        App app(m_dir.path(), {}, {});
        QVERIFY(app.started);
        PlaceholderLabel* hint = app.panel->placeholder();
        QTRY_VERIFY(hint->isVisible());
        QVERIFY2(hint->text().contains("Save as Template") && hint->text().contains("/var/lib/hyperfork/templates"),
                 qPrintable(hint->text()));
        // An older daemon knows no template.list: said in the list, no box.
        app.fixture.daemon->answerTemplates = false;
        const int asked = app.fixture.requestCount("template.list");
        app.fixture.window->action("refreshTemplates")->trigger();
        QTRY_COMPARE(app.fixture.requestCount("template.list"), asked + 1);
        app.fixture.daemon->replyError(app.fixture.daemon->lastRequest("template.list"), -32601,
                                       "method not found: template.list");
        QTRY_VERIFY2(hint->text().contains("method not found: template.list"), qPrintable(hint->text()));
        QVERIFY(!visibleDialog());
        // The daemon gone: the list empties and says so.
        app.fixture.daemon->stop();
        QTRY_VERIFY2(hint->text().contains("Not connected"), qPrintable(hint->text()));
        QVERIFY(!app.fixture.window->action("refreshTemplates")->isEnabled());
    }

    // A daemon older than templates on disk (no protocol_minor): never asked,
    // and the list says why; nothing to save to.
    void anOlderDaemonIsNotAsked()
    {
        AppFixture app(m_dir.path());
        app.daemon->protocolMinor = 0;
        QVERIFY(app.start({vmJson(1, "ref", QJsonValue())}));
        app.window->findChild<QDockWidget*>("templatesDock")->raise();
        PlaceholderLabel* hint = app.window->templatesPanel()->placeholder();
        QTRY_VERIFY2(hint->text().contains("hyperforkd 0.1.0 has no templates on disk (protocol 1.0"),
                     qPrintable(hint->text()));
        QTest::qWait(100);
        QCOMPARE(app.requestCount("template.list"), 0);
        QVERIFY(!app.window->action("refreshTemplates")->isEnabled());
        app.window->selectVm(1);
        QVERIFY(app.window->action("template")->isEnabled());  // in memory: any daemon
        QVERIFY(!app.window->action("saveTemplate")->isEnabled());
    }

    void startCloneSendsVmBootWithTheTemplate()
    {
        App app(m_dir.path(), {vmJson(1, "ref", QJsonValue()), vmJson(2, "web-1", QJsonValue())});
        QVERIFY(app.started);
        QAction* start = app.fixture.window->action("startClone");
        QVERIFY(start);
        QVERIFY(!start->isEnabled());  // nothing selected
        app.panel->selectTemplate("web");
        QVERIFY(start->isEnabled());
        // Enter on the list, as a double click.
        app.view()->setFocus();
        QTest::keyClick(app.view(), Qt::Key_Return);
        NameDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = shown<NameDialog>(app.fixture.window.get(), "startCloneDialog")) != nullptr);
        QCOMPARE(dialog->name(), "web-2");  // web-1 runs already
        QVERIFY(dialog->acceptButton()->isEnabled());
        dialog->nameEdit()->setText("web a");
        QVERIFY(!dialog->acceptButton()->isEnabled());
        QVERIFY(dialog->errorLabel()->text().contains("only A-Z"));
        dialog->accept();  // refused: still open, nothing sent
        QVERIFY(dialog->isVisible());
        dialog->nameEdit()->setText("web-blue");
        QVERIFY(dialog->acceptButton()->isEnabled());
        dialog->acceptButton()->click();
        QTRY_VERIFY(!app.fixture.daemon->lastRequest("vm.boot").isEmpty());
        const QJsonObject request = app.fixture.daemon->lastRequest("vm.boot");
        QCOMPARE(request.value("params").toObject(),
                 (QJsonObject{{"template", "web"}, {"name", "web-blue"}, {"wait", "started"}}));
        // The new VM shows in the tree as a boot's does, selected.
        app.fixture.daemon->reply(request, {{"vm", vmJson(3, "web-blue", QJsonValue())}});
        QTRY_COMPARE(app.fixture.tree()->vmCount(), 3);
        QTRY_COMPARE(app.fixture.window->selectedVms(), QList<VmId>{3});
        QTRY_COMPARE(app.fixture.window->statusBar()->currentMessage(), "Started web-blue from the template web");
    }

    void startCloneOfABrokenOneIsNotOfferedAndErrorsAreShown()
    {
        App app(m_dir.path(), {});
        QVERIFY(app.started);
        app.panel->selectTemplate("old");
        QVERIFY(!app.fixture.window->action("startClone")->isEnabled());
        QVERIFY(app.fixture.window->action("deleteTemplate")->isEnabled());  // a broken one can go
        app.view()->setFocus();
        QTest::keyClick(app.view(), Qt::Key_Return);
        QTest::qWait(100);
        QVERIFY(!shown<NameDialog>(app.fixture.window.get(), "startCloneDialog"));

        app.panel->startCloneNamed("web", "web-1");
        QTRY_VERIFY(!app.fixture.daemon->lastRequest("vm.boot").isEmpty());
        app.fixture.daemon->replyError(app.fixture.daemon->lastRequest("vm.boot"), -32020,
                                       "template 'web': made on GenuineIntel, this host is AuthenticAMD");
        QDialog* box = nullptr;
        QTRY_VERIFY((box = visibleDialog()) != nullptr);
        const QString text = dialogText(box);
        QVERIFY2(text.contains("Starting web-1 from the template web failed") && text.contains("AuthenticAMD"),
                 qPrintable(text));
        QCOMPARE(app.fixture.tree()->vmCount(), 0);
        box->close();
    }

    void deleteAsksNamingItThenSendsTemplateDelete()
    {
        App app(m_dir.path(), {});
        QVERIFY(app.started);
        app.panel->selectTemplate("web");
        app.view()->setFocus();
        // The Delete key on the list; Cancel, the default, deletes nothing.
        QTest::keyClick(app.view(), Qt::Key_Delete);
        QMessageBox* box = nullptr;
        QTRY_VERIFY((box = shown<QMessageBox>(app.fixture.window.get(), "deleteTemplateDialog")) != nullptr);
        const QString text = box->text() + "\n" + box->informativeText();
        QVERIFY2(text.contains("<b>web</b>") && text.contains("/var/lib/hyperfork/templates/web") &&
                     text.contains("130.5 MiB") && text.contains("VMs started from it keep running"),
                 qPrintable(text));
        QCOMPARE(box->defaultButton(), box->button(QMessageBox::Cancel));
        box->button(QMessageBox::Cancel)->click();
        QTest::qWait(100);
        QCOMPARE(app.fixture.requestCount("template.delete"), 0);
        QVERIFY(app.model()->find("web"));

        // From the context menu this time, and Delete.
        QTreeView* view = app.view();
        QVERIFY(triggerFromMenu(
            [&] {
                const QModelIndex at = static_cast<QSortFilterProxyModel*>(view->model())
                                           ->mapFromSource(app.model()->indexOf("web"));
                Q_EMIT view->customContextMenuRequested(view->visualRect(at).center());
            },
            app.fixture.window->action("deleteTemplate")));
        QTRY_VERIFY((box = shown<QMessageBox>(app.fixture.window.get(), "deleteTemplateDialog")) != nullptr);
        dialogButton(box, "Delete")->click();
        QTRY_VERIFY(!app.fixture.daemon->lastRequest("template.delete").isEmpty());
        QCOMPARE(app.fixture.daemon->lastRequest("template.delete").value("params").toObject(),
                 (QJsonObject{{"name", "web"}}));
        QTRY_VERIFY(!app.model()->find("web"));
        QCOMPARE(app.model()->rowCount(), 2);
        QTRY_COMPARE(app.fixture.window->statusBar()->currentMessage(), "Deleted the template web");
    }

    void deleteErrorIsShown()
    {
        App app(m_dir.path(), {});
        QVERIFY(app.started);
        // Gone behind the app's back: the daemon says so, the list is asked again.
        app.fixture.daemon->templates = QJsonArray{};
        app.panel->deleteTemplate("db");
        QMessageBox* box = nullptr;
        QTRY_VERIFY((box = shown<QMessageBox>(app.fixture.window.get(), "deleteTemplateDialog")) != nullptr);
        dialogButton(box, "Delete")->click();
        QDialog* error = nullptr;
        QTRY_VERIFY((error = visibleDialog()) != nullptr && error != box);
        QVERIFY2(dialogText(error).contains("Deleting the template db failed: no template named 'db'"),
                 qPrintable(dialogText(error)));
        QTRY_COMPARE(app.model()->rowCount(), 0);
        error->close();
    }

    // ---- Save as Template… ----

    void saveAsTemplateInBothMenusForOneLiveVm()
    {
        App app(m_dir.path(), {vmJson(1, "ref", QJsonValue()), vmJson(2, "boot", QJsonValue(), "booting")});
        QVERIFY(app.started);
        MainWindow* window = app.fixture.window.get();
        QAction* save = window->action("saveTemplate");
        QVERIFY(save);
        QVERIFY(vmMenu(window) && vmMenu(window)->actions().contains(save));
        window->selectVm(2);
        QVERIFY(!save->isEnabled());  // booting: nothing to save yet
        window->treeView()->selectAll();
        QVERIFY(!save->isEnabled());  // one at a time
        window->selectVm(1);
        QVERIFY(save->isEnabled());
        // Keep as Template… and Save as Template… say which is which.
        const QString keepTip = window->action("template")->toolTip();
        const QString saveTip = save->toolTip();
        QVERIFY2(keepTip.contains("in memory") && keepTip.contains("Save as Template"), qPrintable(keepTip));
        QVERIFY2(saveTip.contains("on disk") && saveTip.contains("Keep as Template"), qPrintable(saveTip));
        QVERIFY(!save->whatsThis().isEmpty());

        QTreeView* tree = window->treeView();
        QVERIFY(triggerFromMenu(
            [&] { Q_EMIT tree->customContextMenuRequested(tree->visualRect(viewIndexOf(tree, 1)).center()); }, save));
        NameDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = shown<NameDialog>(window, "saveTemplateDialog")) != nullptr);
        QCOMPARE(dialog->name(), "ref");  // the VM's name
        QVERIFY2(dialogText(dialog).contains("ref is paused while it saves"), qPrintable(dialogText(dialog)));
        // Validated as the daemon does, and not a name the list has.
        dialog->nameEdit()->setText("web");
        QVERIFY(!dialog->acceptButton()->isEnabled());
        QVERIFY2(dialog->errorLabel()->text().contains("a template named web exists"), qPrintable(dialog->errorLabel()->text()));
        dialog->nameEdit()->setText(QString(65, 'r'));
        QVERIFY(!dialog->acceptButton()->isEnabled());
        QVERIFY(dialog->errorLabel()->text().contains("at most 64"));
        dialog->nameEdit()->setText("ref.v2");
        QVERIFY(dialog->acceptButton()->isEnabled());
        QVERIFY(!dialog->errorLabel()->isVisible());
        dialog->acceptButton()->click();
        QTRY_VERIFY(!app.fixture.daemon->lastRequest("vm.save").isEmpty());
        QCOMPARE(app.fixture.daemon->lastRequest("vm.save").value("params").toObject(),
                 (QJsonObject{{"vm", 1}, {"name", "ref.v2"}}));
    }

    void saveShowsProgressThenTheNewTemplate()
    {
        App app(m_dir.path(), {vmJson(1, "ref", QJsonValue()), vmJson(2, "other", QJsonValue())});
        QVERIFY(app.started);
        MainWindow* window = app.fixture.window.get();
        window->saveAsTemplate({1, "ref"});
        QTRY_VERIFY(!app.fixture.daemon->lastRequest("vm.save").isEmpty());
        const QJsonObject request = app.fixture.daemon->lastRequest("vm.save");
        SaveProgressDialog* progress = nullptr;
        QTRY_VERIFY((progress = shown<SaveProgressDialog>(window, "saveProgressDialog")) != nullptr);
        const QString text = dialogText(progress);
        QVERIFY2(text.contains("ref is paused while it saves"), qPrintable(text));
        // No Cancel: the daemon cannot stop a save; Hide only hides.
        QVERIFY(!dialogButton(progress, "Cancel"));
        QVERIFY(dialogButton(progress, "Hide"));
        QVERIFY2(text.contains("cannot be cancelled"), qPrintable(text));
        QCOMPARE(progress->progressBar()->maximum(), 0);  // busy until the daemon says

        auto progressEvent = [&](int vm, const QJsonValue& name, qint64 done, qint64 total) {
            app.fixture.event("vm.save_progress", {{"vm", vm}, {"name", name}, {"dir", "/var/lib/hyperfork/templates/ref"},
                                                   {"done", done}, {"total", total}});
        };
        progressEvent(1, "ref", 256 * MiB, 512 * MiB);
        QTRY_COMPARE(progress->progressBar()->value(), 500);
        QCOMPARE(progress->progressText(), "256 MiB of 512 MiB");
        QVERIFY2(window->statusBar()->currentMessage().contains("256 MiB of 512 MiB"),
                 qPrintable(window->statusBar()->currentMessage()));
        // Another VM's save, or another name's, moves nothing here.
        progressEvent(2, "ref", 10 * MiB, 512 * MiB);
        progressEvent(1, QJsonValue::Null, 10 * MiB, 512 * MiB);
        QTest::qWait(100);
        QCOMPARE(progress->progressBar()->value(), 500);
        // Past 2 GiB the bar still counts (thousandths, not bytes).
        progressEvent(1, "ref", 3 * 1024 * MiB, 4 * 1024 * MiB);
        QTRY_COMPARE(progress->progressBar()->value(), 750);

        const int listsBefore = app.fixture.requestCount("template.list");
        app.fixture.daemon->reply(request, {{"template", diskTemplateJson("ref", 200 * MiB, 4096 * MiB, created, "ref")}});
        QTRY_VERIFY(!shown<SaveProgressDialog>(window, "saveProgressDialog"));
        QTRY_VERIFY(app.model()->find("ref"));
        QCOMPARE(app.cell("ref", TemplateListModel::Size), "200 MiB");
        QTRY_VERIFY2(window->statusBar()->currentMessage() == "Saved ref as the template ref: 200 MiB on disk, 4 GiB of RAM",
                     qPrintable(window->statusBar()->currentMessage()));
        // And the list is asked again (the daemon's word over ours).
        QTRY_COMPARE(app.fixture.requestCount("template.list"), listsBefore + 1);
        QVERIFY(!visibleDialog());
    }

    void savingAPausedVmSaysNothingOfPausing()
    {
        App app(m_dir.path(), {vmJson(1, "ref", QJsonValue(), "paused")});
        QVERIFY(app.started);
        app.fixture.window->selectVm(1);
        app.fixture.window->action("saveTemplate")->trigger();
        NameDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = shown<NameDialog>(app.fixture.window.get(), "saveTemplateDialog")) != nullptr);
        QVERIFY(!dialogText(dialog).contains("paused while"));
        dialog->acceptButton()->click();
        SaveProgressDialog* progress = nullptr;
        QTRY_VERIFY((progress = shown<SaveProgressDialog>(app.fixture.window.get(), "saveProgressDialog")) != nullptr);
        QVERIFY(!dialogText(progress).contains("paused while"));
        // Hidden, the save goes on and still ends in the status bar.
        dialogButton(progress, "Hide")->click();
        QTRY_VERIFY(!shown<SaveProgressDialog>(app.fixture.window.get(), "saveProgressDialog"));
        QTRY_VERIFY(!app.fixture.daemon->lastRequest("vm.save").isEmpty());
        app.fixture.daemon->reply(app.fixture.daemon->lastRequest("vm.save"),
                                  {{"template", diskTemplateJson("ref", MiB, 512 * MiB, created, "ref")}});
        QTRY_VERIFY2(app.fixture.window->statusBar()->currentMessage().startsWith("Saved ref as the template ref"),
                     qPrintable(app.fixture.window->statusBar()->currentMessage()));
    }

    void saveErrorIsShown()
    {
        App app(m_dir.path(), {vmJson(1, "ref", QJsonValue())});
        QVERIFY(app.started);
        MainWindow* window = app.fixture.window.get();
        window->saveAsTemplate({1, "snap"});
        QTRY_VERIFY(!app.fixture.daemon->lastRequest("vm.save").isEmpty());
        app.fixture.daemon->replyError(app.fixture.daemon->lastRequest("vm.save"), -32014,
                                       "VM 1 'ref': save: write ram: No space left on device");
        QTRY_VERIFY(!shown<SaveProgressDialog>(window, "saveProgressDialog"));
        QDialog* box = nullptr;
        QTRY_VERIFY((box = visibleDialog()) != nullptr);
        QVERIFY2(dialogText(box).contains("Saving ref as the template snap failed") &&
                     dialogText(box).contains("No space left on device"),
                 qPrintable(dialogText(box)));
        QVERIFY(!app.model()->find("snap"));
        QVERIFY(!window->statusBar()->currentMessage().startsWith("Saving"));
        box->close();
        // A name the daemon would refuse never leaves the app.
        const int saves = app.fixture.requestCount("vm.save");
        window->saveAsTemplate({1, "no spaces"});
        QTRY_VERIFY((box = visibleDialog()) != nullptr);
        QVERIFY2(dialogText(box).contains("Cannot save ref as a template"), qPrintable(dialogText(box)));
        QCOMPARE(app.fixture.requestCount("vm.save"), saves);
        box->close();
    }

    // The daemon gives a save 600 s; should it never answer, the app gives
    // up after its own deadline (shortened here) and drops a late answer.
    void saveWithoutAnAnswerFailsAtTheDeadline()
    {
        App app(m_dir.path(), {vmJson(1, "ref", QJsonValue())});
        QVERIFY(app.started);
        BackendClient* backend = app.fixture.controller->backend();
        QCOMPARE(backend->deadline("vm.save"), 630'000);
        backend->setDeadline("vm.save", 200);
        QSignalSpy warnings(backend, &BackendClient::protocolWarning);
        app.fixture.window->saveAsTemplate({1, "slow"});
        QTRY_VERIFY(!app.fixture.daemon->lastRequest("vm.save").isEmpty());
        QDialog* box = nullptr;
        QTRY_VERIFY((box = visibleDialog()) != nullptr && !qobject_cast<SaveProgressDialog*>(box));
        QVERIFY2(dialogText(box).contains("did not answer vm.save within 0.2 s"), qPrintable(dialogText(box)));
        QVERIFY(!shown<SaveProgressDialog>(app.fixture.window.get(), "saveProgressDialog"));
        box->close();
        app.fixture.daemon->reply(app.fixture.daemon->lastRequest("vm.save"),
                                  {{"template", diskTemplateJson("slow", MiB, MiB, created, "ref")}});
        QTest::qWait(100);
        QCOMPARE(warnings.size(), 0);
        QVERIFY(backend->isConnected());
    }
};

QTEST_MAIN(TestTemplatesOnDisk)
#include "tst_templates_on_disk.moc"
