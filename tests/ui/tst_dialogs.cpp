// The fork and boot dialogs' validation (the same rules as the protocol's),
// the requests they build, the boot dialog's disks and remembered values;
// vm.template's request and the Keep as Template dialog.
#include "backend/backend_client.h"
#include "backend/requests.h"
#include "dialogs/boot_dialog.h"
#include "dialogs/disk_list_editor.h"
#include "dialogs/fork_dialog.h"
#include "dialogs/template_dialog.h"
#include "fake_daemon.h"

#include <QCheckBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QPushButton>
#include <QTemporaryDir>
#include <QToolButton>
#include <QLineEdit>
#include <QRadioButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

using namespace hf::ui;

namespace {

// A file of `bytes` zero bytes at `path`: a stand-in disk image.
bool makeImage(const QString& path, qint64 bytes = 1 << 20)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.resize(bytes);
}

}  // namespace

class TestDialogs : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);  // QSettings away from the user's
        QCoreApplication::setOrganizationName("HyperForkTest");
        QCoreApplication::setApplicationName("tst_dialogs");
        QSettings().clear();
    }

    void forkDialogValidation_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<QString>("prefix");
        QTest::addColumn<QString>("error");  // a part of the expected message, empty: valid
        QTest::newRow("defaults") << 1 << "" << "";
        QTest::newRow("max") << 64 << "w" << "";
        QTest::newRow("zero") << 0 << "" << "clones: 1 to 64";
        QTest::newRow("too many") << 65 << "" << "clones: 1 to 64";
        QTest::newRow("prefix ok") << 3 << "worker.v2_a-b" << "";
        QTest::newRow("prefix space") << 3 << "my clone" << "name prefix";
        QTest::newRow("prefix slash") << 3 << "a/b" << "name prefix";
        QTest::newRow("prefix unicode") << 3 << "klön" << "name prefix";
        QTest::newRow("prefix 65 bytes") << 3 << QString(65, 'x') << "name prefix";
    }
    void forkDialogValidation()
    {
        QFETCH(int, count);
        QFETCH(QString, prefix);
        QFETCH(QString, error);
        ForkDialog dialog(4, "ref");
        dialog.countBox()->setValue(count);
        dialog.prefixEdit()->setText(prefix);
        if (error.isEmpty()) {
            QVERIFY2(dialog.validationError().isEmpty(), qPrintable(dialog.validationError()));
            QVERIFY(dialog.okEnabled());
        } else {
            QVERIFY2(dialog.validationError().contains(error), qPrintable(dialog.validationError()));
            QVERIFY(!dialog.okEnabled());
        }
    }

    void forkDialogOpensWithEveryChoiceMade()
    {
        ForkDialog dialog(4, "ref");
        dialog.show();
        QHash<QString, QRadioButton*> buttons;
        for (QRadioButton* b : dialog.findChildren<QRadioButton*>()) buttons.insert(QString(b->text()).remove('&'), b);
        QVERIFY(buttons.contains("Now"));
        QVERIFY(buttons.contains("Keeps running"));
        QVERIFY(buttons.value("Now")->isChecked());
        QVERIFY(buttons.value("Keeps running")->isChecked());
        // The two questions are independent: answering one leaves the other.
        dialog.pauseParentButton()->click();
        QVERIFY(buttons.value("Now")->isChecked());
        dialog.onSignalButton()->click();
        QVERIFY(dialog.pauseParentButton()->isChecked());
        QVERIFY(!buttons.value("Now")->isChecked());
        QCOMPARE(dialog.request().when, ForkRequest::When::OnGuestSignal);
        QCOMPARE(dialog.request().parent, ForkRequest::Parent::Pause);
    }

    void forkDialogBuildsTheRequest()
    {
        ForkDialog dialog(4, "ref");
        dialog.countBox()->setValue(3);
        dialog.prefixEdit()->setText(" w ");
        dialog.onSignalButton()->setChecked(true);
        dialog.pauseParentButton()->setChecked(true);
        const QJsonObject p = dialog.request().toParams();
        QCOMPARE(p.value("vm").toInt(), 4);
        QCOMPARE(p.value("count").toInt(), 3);
        QCOMPARE(p.value("when").toString(), "on-guest-signal");
        QCOMPARE(p.value("parent").toString(), "pause");
        QCOMPARE(p.value("name_prefix").toString(), "w");
        // No prefix: the daemon uses the parent's name; the key is left out.
        dialog.prefixEdit()->clear();
        QVERIFY(!dialog.request().toParams().contains("name_prefix"));
    }

    void memorySizes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("bytes");
        QTest::newRow("M") << "512M" << (512ll << 20);
        QTest::newRow("G lower") << "2g" << (2ll << 30);
        QTest::newRow("MiB") << "256MiB" << (256ll << 20);
        QTest::newRow("plain bytes") << "1048576" << 1048576ll;
        QTest::newRow("spaces") << " 64 M " << (64ll << 20);
        QTest::newRow("garbage") << "lots" << 0ll;
        QTest::newRow("negative") << "-1G" << 0ll;
        QTest::newRow("fraction") << "1.5G" << 0ll;
        QTest::newRow("T unsupported") << "1T" << 0ll;
    }
    void memorySizes()
    {
        QFETCH(QString, text);
        QFETCH(qint64, bytes);
        QCOMPARE(parseMemorySize(text), bytes);
    }

    void bootDialogValidatesAndRemembers()
    {
        BackendClient backend;  // never connected: the dialog is only filled in
        {
            BootDialog dialog(&backend);
            BootRequest r = dialog.request();
            QCOMPARE(r.name, "ref");  // first run: the default guest, named ref
            QVERIFY(r.kernel.isEmpty());
            QVERIFY(dialog.okEnabled());
            r.memory = "32M";
            dialog.setRequest(r);
            QVERIFY(!dialog.okEnabled());
            r.memory = "1G";
            r.name = "bad name";
            dialog.setRequest(r);
            QVERIFY(!dialog.okEnabled());
            r.name = "web";
            r.cpus = 4;
            r.cmdline = "quiet";
            dialog.setRequest(r);
            QVERIFY(dialog.okEnabled());
            dialog.saveSettings();
        }
        BootDialog again(&backend);
        const BootRequest r = again.request();
        QCOMPARE(r.name, "web");
        QCOMPARE(r.memory, "1G");
        QCOMPARE(r.cpus, 4);
        QCOMPARE(r.cmdline, "quiet");
        const QJsonObject p = r.toParams();
        QVERIFY(!p.contains("kernel"));  // empty: the daemon's default guest
        QCOMPARE(p.value("cpus").toInt(), 4);
    }

    void bootDialogDisksBecomeParams()
    {
        const QString root = m_dir.filePath("root.ext4"), data = m_dir.filePath("data.img");
        QVERIFY(makeImage(root) && makeImage(data));
        BackendClient backend;
        BootDialog dialog(&backend);
        BootRequest r = dialog.request();
        r.disks = {{root, false}, {data, true}};
        dialog.setRequest(r);
        QCOMPARE(dialog.diskList()->count(), 2);
        QVERIFY2(dialog.okEnabled(), qPrintable(dialog.statusText()));
        const QJsonArray disks = dialog.request().toParams().value("disks").toArray();
        QCOMPARE(disks.size(), 2);
        QCOMPARE(disks[0].toObject(), (QJsonObject{{"path", root}, {"readonly", false}}));
        QCOMPARE(disks[1].toObject(), (QJsonObject{{"path", data}, {"readonly", true}}));
        // The row's own check box is what sets readonly.
        dialog.diskList()->findChildren<QCheckBox*>().first()->setChecked(true);
        QVERIFY(dialog.request().disks.at(0).readonly);
        // The row's remove button takes the row away.
        dialog.diskList()->findChildren<QToolButton*>("removeDisk").first()->click();
        QCOMPARE(dialog.request().disks, (QList<BootDisk>{{data, true}}));
        // No disks: no key (daemons older than disks never see it).
        dialog.diskList()->removeDisk(0);
        QVERIFY(!dialog.request().toParams().contains("disks"));
    }

    void bootDialogRefusesMissingDisks_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("error");
        QTest::newRow("missing") << m_dir.filePath("nope.img") << "does not exist";
        QTest::newRow("directory") << m_dir.path() << "not a regular file";
        QTest::newRow("empty") << "" << "choose an image file";
    }
    void bootDialogRefusesMissingDisks()
    {
        QFETCH(QString, path);
        QFETCH(QString, error);
        BackendClient backend;
        BootDialog dialog(&backend);
        BootRequest r = dialog.request();
        r.disks = {{path, false}};
        dialog.setRequest(r);
        QVERIFY(!dialog.okEnabled());
        QVERIFY2(dialog.statusText().contains(error), qPrintable(dialog.statusText()));
        QVERIFY(dialog.statusText().startsWith("disk 0"));
        // Fixing the path in the row makes Boot available again.
        const QString good = m_dir.filePath("good.img");
        QVERIFY(makeImage(good));
        dialog.diskList()->findChildren<QLineEdit*>().first()->setText(good);
        QVERIFY2(dialog.okEnabled(), qPrintable(dialog.statusText()));
    }

    void bootDialogAddsAtMostEightDisks()
    {
        const QString image = m_dir.filePath("many.img");
        QVERIFY(makeImage(image));
        BackendClient backend;
        BootDialog dialog(&backend);
        for (int i = 0; i < BootRequest::maxDisks; ++i) {
            QVERIFY(dialog.diskList()->addButton()->isEnabled());
            dialog.diskList()->addDisk({image, false});
        }
        QVERIFY(!dialog.diskList()->addButton()->isEnabled());
        QVERIFY(dialog.okEnabled());
        BootRequest r = dialog.request();
        r.disks.append({image, false});
        QVERIFY(r.validate().contains("at most 8"));
    }

    void bootDialogRemembersDisks()
    {
        const QString root = m_dir.filePath("remembered.ext4");
        QVERIFY(makeImage(root));
        BackendClient backend;
        {
            BootDialog dialog(&backend);
            BootRequest r = dialog.request();
            r.disks = {{root, true}};
            dialog.setRequest(r);
            dialog.saveSettings();
        }
        {
            BootDialog again(&backend);
            QCOMPARE(again.request().disks, (QList<BootDisk>{{root, true}}));
            again.diskList()->setDisks({});
            again.saveSettings();
        }
        BootDialog none(&backend);
        QVERIFY(none.request().disks.isEmpty());
    }

    void bootDialogSendsDisks()
    {
        const QString root = m_dir.filePath("sent.ext4");
        QVERIFY(makeImage(root));
        const QString socket = m_dir.filePath("hyperforkd.sock");
        hf::ui::test::FakeDaemon daemon(socket);
        QVERIFY(daemon.listen());
        BackendClient backend;
        backend.setSocketPath(socket);
        backend.connectToDaemon();
        QTRY_VERIFY(backend.isConnected());
        BootDialog dialog(&backend);
        BootRequest r = dialog.request();
        r.disks = {{root, false}};
        dialog.setRequest(r);
        dialog.show();
        QVERIFY(dialog.okEnabled());
        QPushButton* boot = nullptr;
        for (QPushButton* b : dialog.findChildren<QPushButton*>())
            if (QString(b->text()).remove('&') == "Boot") boot = b;
        QVERIFY(boot);
        boot->click();
        QTRY_VERIFY(!daemon.lastRequest("vm.boot").isEmpty());
        const QJsonObject params = daemon.lastRequest("vm.boot").value("params").toObject();
        QCOMPARE(params.value("disks").toArray(), (QJsonArray{QJsonObject{{"path", root}, {"readonly", false}}}));
    }

    void diskSaveRequests_data()
    {
        QTest::addColumn<qint64>("vm");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("error");
        QTest::newRow("new file") << 3ll << m_dir.filePath("saved.img") << "";
        QTest::newRow("no vm") << 0ll << m_dir.filePath("saved.img") << "no VM";
        QTest::newRow("relative") << 3ll << "saved.img" << "absolute path";
        QTest::newRow("exists") << 3ll << QFINDTESTDATA("tst_dialogs.cpp") << "exists";
    }
    void diskSaveRequests()
    {
        QFETCH(qint64, vm);
        QFETCH(QString, path);
        QFETCH(QString, error);
        const DiskSaveRequest r{vm, 1, path};
        if (error.isEmpty()) {
            QVERIFY2(r.validate().isEmpty(), qPrintable(r.validate()));
            QCOMPARE(r.toParams(), (QJsonObject{{"vm", vm}, {"path", path}, {"disk", 1}}));
        } else {
            QVERIFY2(r.validate().contains(error), qPrintable(r.validate()));
        }
    }

    void templateRequests_data()
    {
        QTest::addColumn<qint64>("vm");
        QTest::addColumn<int>("spares");
        QTest::addColumn<QString>("error");
        QTest::newRow("default") << 3ll << 2 << "";
        QTest::newRow("none") << 3ll << 0 << "";
        QTest::newRow("most") << 3ll << 8 << "";
        QTest::newRow("too many") << 3ll << 9 << "0 to 8";
        QTest::newRow("negative") << 3ll << -1 << "0 to 8";
        QTest::newRow("no vm") << 0ll << 2 << "no VM";
    }
    void templateRequests()
    {
        QFETCH(qint64, vm);
        QFETCH(int, spares);
        QFETCH(QString, error);
        const TemplateRequest r{vm, spares};
        if (error.isEmpty()) {
            QVERIFY2(r.validate().isEmpty(), qPrintable(r.validate()));
            QCOMPARE(r.toParams(), (QJsonObject{{"vm", vm}, {"spares", spares}}));
        } else {
            QVERIFY2(r.validate().contains(error), qPrintable(r.validate()));
        }
    }

    void templateDialogBuildsTheRequest()
    {
        TemplateDialog dialog(7, "ref");
        QVERIFY(dialog.windowTitle().contains("ref"));
        QCOMPARE(dialog.sparesBox()->value(), TemplateRequest::defaultSpares);
        dialog.sparesBox()->setValue(12);  // clamped to the protocol's range
        QCOMPARE(dialog.request().spares, TemplateRequest::maxSpares);
        dialog.sparesBox()->setValue(0);
        QCOMPARE(dialog.request().vm, VmId(7));
        QCOMPARE(dialog.request().spares, 0);
        QVERIFY(dialog.request().validate().isEmpty());
        TemplateDialog again(7, "ref", 5);
        QCOMPARE(again.sparesBox()->value(), 5);
    }
};

QTEST_MAIN(TestDialogs)
#include "tst_dialogs.moc"
