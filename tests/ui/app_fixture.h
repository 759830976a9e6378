#pragma once
// The whole app offscreen against a FakeDaemon: an AppController and its
// MainWindow connected to a scripted daemon, plus the helpers the window
// tests share (VM objects, events, finding the dialog on screen, a pty the
// fake daemon hands out as a VM's console).
#include "backend/backend_client.h"
#include "fake_daemon.h"
#include "models/vm_tree_model.h"
#include "window/app_controller.h"
#include "window/main_window.h"
#include "window/resources.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QApplication>
#include <QCheckBox>
#include <QDialog>
#include <QJsonArray>
#include <QLabel>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <functional>
#include <memory>

namespace hf::ui::test {

inline QJsonObject vmJson(int id, const QString& name, QJsonValue parent, const QString& state = "running")
{
    return {{"id", id},        {"name", name},         {"pid", 1000 + id},    {"parent", parent},
            {"state", state},  {"memory", 268435456},  {"cpus", 1},           {"ready", true},
            {"pty", QStringLiteral("/dev/pts/%1").arg(id)}};
}

inline QJsonObject sampleJson(int vm, qint64 shared, qint64 priv, qint64 rssKib, qint64 pssKib, double cpuMs = 0)
{
    return {{"vm", vm}, {"shared_pages", shared}, {"private_pages", priv}, {"rss_kib", rssKib},
            {"pss_kib", pssKib}, {"cpu_ms", cpuMs}};
}

// Settings of the tests live in QStandardPaths' test location, cleared per test.
inline void useTestSettings(const char* app)
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName("HyperForkTest");
    QCoreApplication::setApplicationName(app);
    initResources();
}

// A visible dialog (message boxes included), or null.
inline QDialog* visibleDialog()
{
    for (QWidget* w : QApplication::topLevelWidgets())
        if (auto* d = qobject_cast<QDialog*>(w); d && d->isVisible()) return d;
    return nullptr;
}

// Everything a dialog says: its labels, check boxes and buttons.
inline QString dialogText(const QDialog* dialog)
{
    QStringList parts{dialog->windowTitle()};
    for (const QLabel* l : dialog->findChildren<QLabel*>()) parts << l->text();
    for (const QAbstractButton* b : dialog->findChildren<QAbstractButton*>()) parts << b->text();
    return parts.join('\n');
}

// The dialog's button whose text contains `text` (mnemonics ignored).
inline QAbstractButton* dialogButton(const QDialog* dialog, const QString& text)
{
    for (QAbstractButton* b : dialog->findChildren<QAbstractButton*>())
        if (QString(b->text()).remove('&').contains(text, Qt::CaseInsensitive)) return b;
    return nullptr;
}

// The view's index of `vm` (the view may show the tree through a proxy).
inline QModelIndex viewIndexOf(const QAbstractItemView* view, qint64 vm, int column = 0)
{
    const QAbstractItemModel* model = view->model();
    std::function<QModelIndex(const QModelIndex&)> find = [&](const QModelIndex& parent) -> QModelIndex {
        for (int r = 0; r < model->rowCount(parent); ++r) {
            const QModelIndex i = model->index(r, 0, parent);
            if (i.data(VmTreeModel::VmIdRole).toLongLong() == vm) return model->index(r, column, parent);
            if (QModelIndex found = find(i); found.isValid()) return found;
        }
        return {};
    };
    return find({});
}

// A pseudo-terminal: the fake daemon gives out `slavePath()` as a console,
// the test reads what the app typed from the master.
class TestPty {
public:
    TestPty()
    {
        char name[128] = {};
        if (::openpty(&m_master, &m_slave, name, nullptr, nullptr) == 0) {
            m_path = QString::fromLocal8Bit(name);
            ::fcntl(m_master, F_SETFL, ::fcntl(m_master, F_GETFL) | O_NONBLOCK);
        }
    }
    ~TestPty()
    {
        if (m_master >= 0) ::close(m_master);
        if (m_slave >= 0) ::close(m_slave);
    }
    QString slavePath() const { return m_path; }
    // What the app wrote since the last call.
    QByteArray read()
    {
        QByteArray out;
        char buf[4096];
        for (ssize_t n; (n = ::read(m_master, buf, sizeof buf)) > 0;) out.append(buf, n);
        return out;
    }
    void write(const QByteArray& bytes) { (void)!::write(m_master, bytes.constData(), static_cast<size_t>(bytes.size())); }

private:
    int m_master = -1;
    int m_slave = -1;
    QString m_path;
};

// The app against a fake daemon: connect() says hello, answers vm.list with
// `vms` and leaves the window shown and active.
class AppFixture {
public:
    // `options` may change the controller's options (the socket and
    // startDaemon are the fixture's).
    explicit AppFixture(const QString& socketDir, bool kvm = true,
                        const std::function<void(AppController::Options&)>& options = {})
        : m_socket(socketDir + "/hyperforkd.sock")
    {
        QLocalServer::removeServer(m_socket);
        daemon = std::make_unique<FakeDaemon>(m_socket);
        daemon->kvmAvailable = kvm;
        if (!kvm) daemon->kvmDetail = "open /dev/kvm (no KVM here: load kvm-intel or kvm-amd, enable virtualization "
                                      "in firmware, or run through tests/kvm-sandbox/kvm-sandbox): No such file or directory";
        daemon->listen();
        AppController::Options o;
        o.socketPath = m_socket;
        o.startDaemon = false;
        if (options) options(o);
        controller = std::make_unique<AppController>(o);
        window = std::make_unique<MainWindow>(controller.get());
    }

    // Shows the window, connects and answers vm.list; false when it did not.
    bool start(const QJsonArray& vms)
    {
        window->show();
        QApplication::setActiveWindow(window.get());
        controller->start();
        if (!QTest::qWaitFor([&] { return controller->backend()->isConnected(); }, 5000)) return false;
        if (!QTest::qWaitFor([&] { return !daemon->lastRequest("vm.list").isEmpty(); }, 5000)) return false;
        daemon->reply(daemon->lastRequest("vm.list"), {{"vms", vms}});
        if (!QTest::qWaitFor([&] { return tree()->vmCount() == vms.size(); }, 5000)) return false;
        if (!QTest::qWaitForWindowActive(window.get())) return false;
        return true;
    }

    VmTreeModel* tree() { return controller->vmTree(); }
    void event(const QString& method, const QJsonObject& params)
    {
        daemon->send({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
    }
    // One metrics.sample tick.
    void tick(qint64 tUnixMs, const QJsonArray& samples)
    {
        event("metrics.sample", {{"t_unix_ms", tUnixMs}, {"hz", 2}, {"samples", samples}});
    }
    int requestCount(const QString& method) const
    {
        int n = 0;
        for (const QJsonObject& r : daemon->received) n += r.value("method") == method;
        return n;
    }

    std::unique_ptr<FakeDaemon> daemon;
    std::unique_ptr<AppController> controller;
    std::unique_ptr<MainWindow> window;

private:
    QString m_socket;
};

}  // namespace hf::ui::test
