// The fork and boot dialogs' validation (the same rules as the protocol's),
// the requests they build, and the boot dialog's remembered values.
#include "backend/backend_client.h"
#include "backend/requests.h"
#include "dialogs/boot_dialog.h"
#include "dialogs/fork_dialog.h"

#include <QJsonObject>
#include <QLineEdit>
#include <QRadioButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

using namespace hf::ui;

class TestDialogs : public QObject {
    Q_OBJECT
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
};

QTEST_MAIN(TestDialogs)
#include "tst_dialogs.moc"
