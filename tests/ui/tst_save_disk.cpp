// Save Disk As…: enabled only for one VM with disks, in the VM menu and the
// tree's context menu; asks for a new file, sends vm.disk_save with the VM,
// the disk and the path, and reports the answer in the status bar or the
// daemon's error in a box. Against the scripted daemon of app_fixture.h.
#include "app_fixture.h"

#include <QAction>
#include <QComboBox>
#include <QFileDialog>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QStatusBar>
#include <QTimer>
#include <QTreeView>

using namespace hf::ui;
using namespace hf::ui::test;

namespace {

QJsonObject disk(int index, const QString& path, qint64 overlay)
{
    return {{"index", index}, {"path", path}, {"readonly", false}, {"capacity", 1073741824}, {"overlay_bytes", overlay}};
}

QJsonObject vmWithDisks(int id, const QString& name, const QJsonArray& disks)
{
    QJsonObject o = vmJson(id, name, QJsonValue());
    o["disks"] = disks;
    return o;
}

// Runs `answer` on the modal dialog of type T once it shows (the static
// QFileDialog/QInputDialog functions block in their own event loop).
template <typename T>
void whenShown(std::function<void(T*)> answer)
{
    auto* timer = new QTimer;
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, [timer, answer] {
        if (auto* dialog = qobject_cast<T*>(QApplication::activeModalWidget()); dialog && dialog->isVisible()) {
            timer->stop();
            timer->deleteLater();
            answer(dialog);
        }
    });
    timer->start();
}

}  // namespace

class TestSaveDisk : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        useTestSettings("tst_save_disk");
        QSettings().clear();
        // Qt's own file dialog: one the test can fill in on any platform.
        QCoreApplication::setAttribute(Qt::AA_DontUseNativeDialogs);
    }

    void enabledOnlyForAVmWithDisks()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmWithDisks(1, "deb", {disk(0, "/img/root.ext4", 4096)}), vmJson(2, "plain", QJsonValue())}));
        QAction* save = app.window->action("saveDisk");
        QVERIFY(save);
        app.window->selectVm(2);
        QVERIFY(!save->isEnabled());
        app.window->selectVm(1);
        QVERIFY(save->isEnabled());
        // In the VM menu.
        QMenu* vmMenu = nullptr;
        for (QAction* a : app.window->menuBar()->actions())
            if (QString(a->text()).remove('&') == "VM") vmMenu = a->menu();
        QVERIFY(vmMenu && vmMenu->actions().contains(save));
        // In the tree's context menu.
        QTreeView* tree = app.window->treeView();
        bool inContextMenu = false;
        auto* timer = new QTimer(this);
        timer->setInterval(20);
        connect(timer, &QTimer::timeout, this, [&] {
            if (auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget())) {
                timer->stop();
                inContextMenu = menu->actions().contains(save);
                menu->close();
            }
        });
        timer->start();
        const QRect row = tree->visualRect(viewIndexOf(tree, 1));
        Q_EMIT tree->customContextMenuRequested(row.center());
        QTRY_VERIFY(!timer->isActive());
        QVERIFY(inContextMenu);
    }

    void savesThroughTheFileChooser()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmWithDisks(3, "deb", {disk(0, "/img/root.ext4", 4096), disk(1, "/img/data.img", 8192)})}));
        app.window->selectVm(3);
        const QString path = m_dir.filePath("deb-data.img");
        // Two disks: which one first, then where.
        whenShown<QInputDialog>([](QInputDialog* d) {
            d->setTextValue(d->comboBoxItems().value(1));
            d->accept();
        });
        whenShown<QFileDialog>([path](QFileDialog* d) {
            // Typed, as a user does: selectFile() leaves a focused name field alone.
            auto* name = d->findChild<QLineEdit*>("fileNameEdit");
            QVERIFY(name);
            name->setText(path);
            static_cast<QDialog*>(d)->accept();  // QFileDialog's own accept() is protected
        });
        app.window->action("saveDisk")->trigger();
        QTRY_VERIFY(!app.daemon->lastRequest("vm.disk_save").isEmpty());
        const QJsonObject request = app.daemon->lastRequest("vm.disk_save");
        QCOMPARE(request.value("params").toObject(), (QJsonObject{{"vm", 3}, {"path", path}, {"disk", 1}}));
        app.daemon->reply(request, {{"vm", 3}, {"disk", 1}, {"path", path}, {"bytes", 1073741824}, {"overlay_bytes", 8192}});
        QStatusBar* bar = app.window->statusBar();
        QTRY_VERIFY(bar->currentMessage().startsWith("Saved"));
        QVERIFY2(bar->currentMessage().contains("disk 1 of deb to " + path), qPrintable(bar->currentMessage()));
        QVERIFY2(bar->currentMessage().contains("1.0 GiB") && bar->currentMessage().contains("8.0 KiB"),
                 qPrintable(bar->currentMessage()));
        QVERIFY(!visibleDialog());
    }

    void daemonErrorIsShown()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmWithDisks(1, "deb", {disk(0, "/img/root.ext4", 0)})}));
        const QString path = m_dir.filePath("refused.img");
        app.window->saveDisk(1, 0, path);
        QTRY_VERIFY(!app.daemon->lastRequest("vm.disk_save").isEmpty());
        const QJsonObject request = app.daemon->lastRequest("vm.disk_save");
        app.daemon->send({{"jsonrpc", "2.0"},
                          {"id", request.value("id")},
                          {"error", QJsonObject{{"code", -32000}, {"message", "vm.disk_save: no space left on device"}}}});
        QDialog* box = nullptr;
        QTRY_VERIFY((box = visibleDialog()) != nullptr);
        const QString text = dialogText(box);
        QVERIFY2(text.contains("Saving disk 0 of deb failed") && text.contains("no space left on device"), qPrintable(text));
        QVERIFY(!app.window->statusBar()->currentMessage().startsWith("Saved"));
        box->close();
    }

    void existingFileIsRefusedBeforeAsking()
    {
        AppFixture app(m_dir.path());
        QVERIFY(app.start({vmWithDisks(1, "deb", {disk(0, "/img/root.ext4", 0)})}));
        const QString path = m_dir.filePath("exists.img");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        app.window->saveDisk(1, 0, path);
        QDialog* box = nullptr;
        QTRY_VERIFY((box = visibleDialog()) != nullptr);
        QVERIFY2(dialogText(box).contains("exists"), qPrintable(dialogText(box)));
        QCOMPARE(app.requestCount("vm.disk_save"), 0);
        box->close();
    }
};

QTEST_MAIN(TestSaveDisk)
#include "tst_save_disk.moc"
