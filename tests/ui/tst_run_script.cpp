// scripts/run's sandbox half (scripts/app-in-sandbox) against a stand-in
// sandbox that records how it was called and then runs, with only the
// environment the real one would pass, this test binary asking Qt where the
// app's settings go. Checked: the settings land in the user's real config
// folder, which is shared read-write; an export folder is shared and named
// to the app; and when the sandbox dies the user is told, here and in a
// window, that the VMs are gone.
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString source = QStringLiteral(HF_SOURCE_DIR);

// The stand-in sandbox: logs its arguments, then plays the sandbox's part.
// FAKE_STATUS: exit with it instead of running anything (125: "died").
const char* const fakeSandbox = R"(#!/usr/bin/env bash
printf '%s\n' "$@" > "$FAKE_LOG"
if [[ -n ${FAKE_STATUS:-} ]]; then
  [[ $FAKE_STATUS == 125 ]] && echo "kvm-sandbox: the guest stopped without reporting an exit status" >&2
  exit "$FAKE_STATUS"
fi
# As the real one: only HOME & co. and --env reach the command; shares are
# the only writable host folders (checked by the test).
envs=(HOME="$HOME" PATH="$PATH" QT_QPA_PLATFORM=offscreen)
while [[ $1 != -- ]]; do
  [[ $1 == --env ]] && envs+=("$2") && shift
  shift
done
shift
exec env -i "${envs[@]}" "$FAKE_PROBE" --settings-path
)";

// A stand-in build: app/hyperfork records that it was asked to say something.
const char* const fakeApp = R"(#!/usr/bin/env bash
printf '%s\n' "$@" > "$FAKE_APP_LOG"
)";

bool writeExecutable(const QString& path, const char* text)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return false;
    f.write(text);
    f.close();
    return f.setPermissions(f.permissions() | QFileDevice::ExeOwner);
}

}  // namespace

class TestRunScript : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString home() const { return m_dir.filePath("home"); }
    QString log() const { return m_dir.filePath("sandbox.log"); }
    QString appLog() const { return m_dir.filePath("app.log"); }

    // Runs scripts/app-in-sandbox; returns its exit status (-1: did not finish).
    int run(const QStringList& extraEnv, QByteArray* out = nullptr, QByteArray* err = nullptr)
    {
        QFile::remove(log());
        QFile::remove(appLog());
        QProcess p;
        QStringList env{"HOME=" + home(), "PATH=" + qEnvironmentVariable("PATH"), "DISPLAY=:99",
                        "HYPERFORK_SANDBOX=" + m_dir.filePath("kvm-sandbox"), "FAKE_LOG=" + log(),
                        "FAKE_APP_LOG=" + appLog(), "FAKE_PROBE=" + QCoreApplication::applicationFilePath()};
        env << extraEnv;
        p.setEnvironment(env);
        p.start(source + "/scripts/app-in-sandbox", {m_dir.filePath("build"), "--boot-default"});
        if (!p.waitForFinished(30000)) return -1;
        if (out) *out = p.readAllStandardOutput();
        if (err) *err = p.readAllStandardError();
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

    QStringList sandboxArgs() const
    {
        QFile f(log());
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts) : QStringList();
    }

    // The folders the sandbox was told to share read-write.
    QStringList shares() const
    {
        QStringList out;
        const QStringList args = sandboxArgs();
        for (qsizetype i = 0; i + 1 < args.size(); ++i)
            if (args[i] == "--share") out << args[i + 1];
        return out;
    }

    static bool under(const QString& path, const QStringList& dirs)
    {
        for (const QString& d : dirs)
            if (path == d || path.startsWith(QDir(d).absolutePath() + '/')) return true;
        return false;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir().mkpath(home()));
        QVERIFY(QDir().mkpath(m_dir.filePath("build/app")));
        QVERIFY(writeExecutable(m_dir.filePath("kvm-sandbox"), fakeSandbox));
        QVERIFY(writeExecutable(m_dir.filePath("build/app/hyperfork"), fakeApp));
    }

    void settingsGoToTheRealConfigFolder_data()
    {
        QTest::addColumn<QString>("configHome");  // XDG_CONFIG_HOME, empty: unset
        QTest::newRow("~/.config") << QString();
        QTest::newRow("XDG_CONFIG_HOME") << m_dir.filePath("xdg-config");
    }
    void settingsGoToTheRealConfigFolder()
    {
        QFETCH(QString, configHome);
        QByteArray out, err;
        QStringList env;
        if (!configHome.isEmpty()) env << "XDG_CONFIG_HOME=" + configHome;
        QCOMPARE(run(env, &out, &err), 0);
        // Where Qt in the sandbox writes the app's settings...
        const QString settings = QString::fromUtf8(out).trimmed();
        const QString expected = (configHome.isEmpty() ? home() + "/.config" : configHome) + "/HyperFork/hyperfork.conf";
        QCOMPARE(settings, expected);
        // ...is in a folder shared read-write with the host, which exists.
        QVERIFY2(under(settings, shares()), qPrintable(shares().join(' ')));
        QVERIFY(QFileInfo(QFileInfo(settings).absolutePath()).isDir());
        QVERIFY(sandboxArgs().contains("--x11"));
        QVERIFY(sandboxArgs().contains(m_dir.filePath("build") + "/app/hyperfork"));
        QVERIFY(sandboxArgs().contains("--boot-default"));
        QVERIFY(!QFile::exists(appLog()));  // a clean quit says nothing more
    }

    void exportFolderIsSharedAndNamed()
    {
        QCOMPARE(run({}), 0);
        const QString exports = home() + "/Pictures/HyperFork";
        QVERIFY(QFileInfo(exports).isDir());
        QVERIFY(shares().contains(exports));
        QVERIFY(sandboxArgs().contains("HYPERFORK_EXPORT_DIR=" + exports));
        const QString hostDirs = sandboxArgs().filter("HYPERFORK_HOST_DIRS=").value(0);
        QVERIFY2(hostDirs.contains(exports) && hostDirs.contains(home() + "/.config/HyperFork"), qPrintable(hostDirs));
    }

    void anEndedSandboxIsExplained_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("says");
        QTest::newRow("sandbox kernel died") << 125 << "died";
        QTest::newRow("timed out") << 124 << "timed out";
        QTest::newRow("app crashed") << 139 << "crashed";
    }
    void anEndedSandboxIsExplained()
    {
        QFETCH(int, status);
        QFETCH(QString, says);
        QByteArray err;
        QCOMPARE(run({"FAKE_STATUS=" + QString::number(status)}, nullptr, &err), status);
        const QString text = QString::fromUtf8(err);
        QVERIFY2(text.contains(says), qPrintable(text));
        QVERIFY2(text.contains("VMs") && text.contains("gone"), qPrintable(text));
        // And in a window: the host's app is asked to say it.
        QFile f(appLog());
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts),
                 (QStringList{"--sandbox-ended", QString::number(status)}));
    }

    void noDisplayIsRefused()
    {
        QProcess p;
        p.setEnvironment({"HOME=" + home(), "PATH=" + qEnvironmentVariable("PATH")});
        p.start(source + "/scripts/app-in-sandbox", {m_dir.filePath("build")});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(p.readAllStandardError().contains("DISPLAY"));
    }
};

int main(int argc, char** argv)
{
    // The probe the stand-in sandbox runs: where would the app's settings go
    // here? With --write-setting KEY=VALUE it also writes one, as the app
    // would (run through the real sandbox by hand to see it reach the host).
    if (argc >= 2 && QByteArray(argv[1]) == "--settings-path") {
        QCoreApplication app(argc, argv);
        QCoreApplication::setOrganizationName("HyperFork");
        QCoreApplication::setApplicationName("hyperfork");
        QSettings settings;
        if (argc == 4 && QByteArray(argv[2]) == "--write-setting") {
            const QString kv = QString::fromLocal8Bit(argv[3]);
            settings.setValue(kv.section('=', 0, 0), kv.section('=', 1));
            settings.sync();
            if (settings.status() != QSettings::NoError) return 1;
        }
        std::printf("%s\n", qPrintable(settings.fileName()));
        return 0;
    }
    QCoreApplication app(argc, argv);
    TestRunScript test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_run_script.moc"
