#include "window/main_window.h"

#include "charts/chart_export.h"
#include "charts/chart_view.h"
#include "charts/cow_chart.h"
#include "charts/fork_latency_chart.h"
#include "console/console_widget.h"
#include "dialogs/about_dialog.h"
#include "dialogs/boot_dialog.h"
#include "dialogs/fork_dialog.h"
#include "window/app_controller.h"
#include "window/connection_banner.h"
#include "window/console_tabs.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace hf::ui {

MainWindow::MainWindow(AppController* controller, QWidget* parent)
    : QMainWindow(parent),
      m_controller(controller),
      m_tree(new QTreeView(this)),
      m_consoles(new ConsoleTabs(controller->backend(), this)),
      m_banner(new ConnectionBanner(this))
{
    setWindowTitle(tr("HyperFork"));
    setWindowIcon(QIcon(":/icons/hyperfork.svg"));
    setObjectName("mainWindow");

    m_tree->setObjectName("vmTree");
    m_tree->setModel(controller->vmTree());
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    m_tree->setUniformRowHeights(true);  // hundreds of clones
    m_tree->setAlternatingRowColors(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(VmTreeModel::Name, QHeaderView::Interactive);
    const int widths[VmTreeModel::ColumnCount] = {200, 130, 80, 55, 95, 100, 100, 70};
    for (int c = 0; c < VmTreeModel::ColumnCount; ++c) m_tree->setColumnWidth(c, widths[c]);

    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->setObjectName("mainSplitter");
    m_splitter->addWidget(m_tree);
    m_splitter->addWidget(m_consoles);
    m_splitter->setStretchFactor(0, 1);
    m_splitter->setStretchFactor(1, 2);
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_banner);
    layout->addWidget(m_splitter, 1);
    setCentralWidget(central);

    createActions();
    createMenusAndToolbar();
    createDock();

    connect(m_tree, &QTreeView::customContextMenuRequested, this, &MainWindow::showContextMenu);
    connect(m_tree, &QTreeView::activated, this, [this] { openConsoleOfSelected(); });
    connect(m_tree->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MainWindow::updateActions);
    VmTreeModel* model = controller->vmTree();
    connect(model, &QAbstractItemModel::dataChanged, this, &MainWindow::updateActions);
    connect(model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex& parent) {
        if (parent.isValid()) m_tree->expand(parent);
        updateActions();
    });
    connect(model, &QAbstractItemModel::rowsMoved, this, [this](const QModelIndex&, int, int, const QModelIndex& to) {
        if (to.isValid()) m_tree->expand(to);
    });
    connect(model, &QAbstractItemModel::modelReset, this, [this] {
        m_tree->expandAll();
        updateActions();
    });
    connect(model, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateActions);
    connect(controller, &AppController::healthChanged, this, &MainWindow::onHealthChanged);
    connect(controller, &AppController::errorOccurred, this, &MainWindow::showError);
    connect(m_consoles, &ConsoleTabs::consoleError, this, &MainWindow::showError);
    connect(m_banner, &ConnectionBanner::retryClicked, controller, &AppController::retryNow);
    connect(controller->backend(), &BackendClient::vmForked, this, [this](const ForkEvent& f) {
        statusBar()->showMessage(tr("Forked %n clone(s) of VM %1, max %2 ms", nullptr, static_cast<int>(f.clones.size()))
                                     .arg(f.parent)
                                     .arg(f.maxMs, 0, 'f', 1),
                                 8000);
    });

    restoreSettings();
    onHealthChanged();
    updateActions();
}

QAction* MainWindow::action(const QString& name) const { return m_actions.value(name); }

void MainWindow::createActions()
{
    auto add = [this](const QString& name, const QString& icon, const QString& text, const QKeySequence& key,
                      std::function<void()> slot) {
        auto* a = new QAction(icon.isEmpty() ? QIcon() : QIcon(icon), text, this);
        a->setObjectName(name);
        if (!key.isEmpty()) a->setShortcut(key);
        a->setShortcutContext(Qt::WindowShortcut);
        connect(a, &QAction::triggered, this, std::move(slot));
        m_actions.insert(name, a);
        return a;
    };
    add("boot", ":/icons/action-boot.svg", tr("&Boot VM…"), QKeySequence(tr("Ctrl+B")), [this] { boot(); });
    add("fork", ":/icons/action-fork.svg", tr("&Fork VM…"), QKeySequence(tr("Ctrl+F")), [this] { fork(); });
    add("pause", ":/icons/action-pause.svg", tr("&Pause"), QKeySequence(tr("Ctrl+P")), [this] { pauseSelected(); });
    add("resume", ":/icons/action-resume.svg", tr("&Resume"), QKeySequence(tr("Ctrl+R")), [this] { resumeSelected(); });
    add("stop", ":/icons/action-stop.svg", tr("&Stop"), QKeySequence(tr("Ctrl+Del")), [this] { stopSelected(); });
    add("console", ":/icons/action-console.svg", tr("Open &Console"), QKeySequence(tr("Ctrl+T")),
        [this] { openConsoleOfSelected(); });
    add("copyPty", ":/icons/action-copy.svg", tr("Copy &pty Path"), QKeySequence(tr("Ctrl+Shift+Y")),
        [this] { copyPtyPath(); });
    add("exportChartPng", ":/icons/action-export.svg", tr("Export Chart as &PNG…"), {}, [this] { exportChart("png"); });
    add("exportChartSvg", "", tr("Export Chart as &SVG…"), {}, [this] { exportChart("svg"); });
    add("exportChartCsv", "", tr("Export Chart &Data as CSV…"), {}, [this] { exportChart("csv"); });
    add("exportLatencyCsv", "", tr("Export Fork &Latency Table as CSV…"), {}, [this] { exportLatencyCsv(); });
    add("about", "", tr("&About HyperFork"), {}, [this] {
        BackendClient* backend = m_controller->backend();
        showAboutDialog(this, backend->isConnected() ? &backend->daemonInfo() : nullptr);
    });
    add("quit", "", tr("&Quit"), QKeySequence::Quit, [this] { close(); });
    m_actions["stop"]->setToolTip(tr("Stop the selected VMs (their clones move up to the parent)"));
}

void MainWindow::createMenusAndToolbar()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    for (const char* name : {"exportChartPng", "exportChartSvg", "exportChartCsv", "exportLatencyCsv"})
        file->addAction(m_actions[name]);
    file->addSeparator();
    file->addAction(m_actions["quit"]);
    QMenu* vm = menuBar()->addMenu(tr("&VM"));
    for (const char* name : {"boot", "fork", "pause", "resume", "stop", "console", "copyPty"}) vm->addAction(m_actions[name]);
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_actions["about"]);

    QToolBar* bar = addToolBar(tr("VMs"));
    bar->setObjectName("vmToolbar");
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    for (const char* name : {"boot", "fork", "pause", "resume", "stop", "console"}) bar->addAction(m_actions[name]);
    bar->addSeparator();
    bar->addAction(m_actions["exportChartPng"]);
}

void MainWindow::createDock()
{
    m_latencyChart = new ForkLatencyChart(m_controller->forkLatencies(), this);
    m_cowChart = new CowChart(m_controller->cowHistory(), this);
    m_latencyTable = new QTableView(this);
    m_latencyTable->setObjectName("forkLatencyTable");
    m_latencyTable->setModel(m_controller->forkLatencies());
    m_latencyTable->verticalHeader()->hide();
    m_latencyTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    m_chartTabs = new QTabWidget(this);
    m_chartTabs->setObjectName("chartTabs");
    m_chartTabs->addTab(m_latencyChart, tr("Fork latency"));
    m_chartTabs->addTab(m_cowChart, tr("Copy-on-write pages"));
    m_chartTabs->addTab(m_latencyTable, tr("Forks"));

    m_dock = new QDockWidget(tr("Charts"), this);
    m_dock->setObjectName("chartsDock");
    m_dock->setWidget(m_chartTabs);
    m_chartTabs->setMinimumWidth(360);
    addDockWidget(Qt::RightDockWidgetArea, m_dock);
    menuBar()->actions().at(0)->menu()->insertAction(m_actions["quit"], m_dock->toggleViewAction());

    // The CoW chart follows the VM selected in the tree; none: all VMs summed.
    connect(m_tree->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const QList<VmId> vms = selectedVms();
        m_cowChart->setVm(vms.size() == 1 ? std::optional<VmId>(vms.first()) : std::nullopt);
    });
}

QList<VmId> MainWindow::selectedVms() const
{
    QList<VmId> vms;
    for (const QModelIndex& index : m_tree->selectionModel()->selectedRows())
        if (const VmId id = m_controller->vmTree()->vmAt(index)) vms.append(id);
    return vms;
}

void MainWindow::selectVm(VmId vm)
{
    const QModelIndex index = m_controller->vmTree()->indexOf(vm);
    m_tree->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_tree->setCurrentIndex(index);
}

void MainWindow::updateActions()
{
    const QList<VmId> vms = selectedVms();
    const bool connected = m_controller->backend()->isConnected();
    const VmTreeModel* model = m_controller->vmTree();
    auto anyIn = [&](const QStringList& states) {
        for (VmId id : vms)
            if (const VmInfo* vm = model->vm(id); vm && states.contains(vm->state)) return true;
        return false;
    };
    const bool one = vms.size() == 1;
    m_actions["boot"]->setEnabled(connected && m_controller->backend()->daemonInfo().kvmAvailable);
    m_actions["fork"]->setEnabled(connected && one && anyIn({"running", "paused"}));
    m_actions["pause"]->setEnabled(connected && anyIn({"running"}));
    m_actions["resume"]->setEnabled(connected && anyIn({"paused"}));
    m_actions["stop"]->setEnabled(connected && anyIn({"booting", "running", "paused"}));
    m_actions["console"]->setEnabled(connected && one);
    m_actions["copyPty"]->setEnabled(one);
    statusBar()->showMessage(tr("%n VM(s)", nullptr, model->vmCount()));
}

void MainWindow::showContextMenu(const QPoint& pos)
{
    const QModelIndex index = m_tree->indexAt(pos);
    if (index.isValid() && !m_tree->selectionModel()->isRowSelected(index.row(), index.parent())) selectVm(m_controller->vmTree()->vmAt(index));
    QMenu menu(this);
    if (index.isValid()) {
        for (const char* name : {"fork", "pause", "resume", "stop"}) menu.addAction(m_actions[name]);
        menu.addSeparator();
        menu.addAction(m_actions["console"]);
        menu.addAction(m_actions["copyPty"]);
    } else {
        menu.addAction(m_actions["boot"]);
    }
    menu.exec(m_tree->viewport()->mapToGlobal(pos));
}

void MainWindow::onHealthChanged()
{
    using Health = AppController::Health;
    const QString text = m_controller->healthText();
    switch (m_controller->health()) {
    case Health::Connected: m_banner->hide(); break;
    case Health::Connecting: m_banner->showMessage(ConnectionBanner::Kind::Info, text, false); break;
    case Health::NoKvm: m_banner->showMessage(ConnectionBanner::Kind::Warning, text, false); break;
    case Health::DaemonDown: m_banner->showMessage(ConnectionBanner::Kind::Error, text, true); break;
    }
    updateActions();
}

void MainWindow::boot()
{
    auto* dialog = new BootDialog(m_controller->backend(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &BootDialog::vmStarted, this, &MainWindow::showBootedVm);
    dialog->open();
}

void MainWindow::showBootedVm(const VmInfo& vm)
{
    m_controller->vmTree()->addVm(vm);  // the vm.booted event may still be on its way
    selectVm(vm.id);
    m_consoles->openConsole(vm.id, vm.name);
}

void MainWindow::bootDefaultGuestWhenIdle()
{
    // Once, on the first vm.list: the default guest only when nothing runs.
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(m_controller->backend(), &BackendClient::vmListReceived, this,
                          [this, connection](const QList<VmInfo>& vms) {
                              disconnect(*connection);
                              if (!vms.isEmpty()) return;
                              BootRequest request;
                              request.name = "ref";
                              request.guestFork = true;
                              m_controller->backend()->bootVm(
                                  request, this,
                                  [this](const VmInfo& vm) { showBootedVm(vm); },
                                  [this](const RpcError& e) { showError(tr("Booting the default guest failed: %1").arg(e.text())); });
                          });
}

void MainWindow::fork()
{
    const QList<VmId> vms = selectedVms();
    if (vms.size() != 1) return;
    const VmInfo* vm = m_controller->vmTree()->vm(vms.first());
    if (!vm) return;
    auto* dialog = new ForkDialog(vm->id, vm->name, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    QSettings settings;
    dialog->countBox()->setValue(settings.value("fork/count", 1).toInt());
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const ForkRequest request = dialog->request();
        QSettings().setValue("fork/count", request.count);
        sendFork(request);
    });
    dialog->open();
}

void MainWindow::forkSelected(int count, const QString& prefix)
{
    const QList<VmId> vms = selectedVms();
    if (vms.size() != 1) return;
    ForkRequest request;
    request.vm = vms.first();
    request.count = count;
    request.namePrefix = prefix;
    sendFork(request);
}

void MainWindow::sendFork(const ForkRequest& request)
{
    m_controller->backend()->forkVm(
        request, this,
        [this, request](const QJsonObject& result) {
            if (result.value("armed").toBool())
                statusBar()->showMessage(tr("Armed: the guest's next hf-signal fork makes %n clone(s)", nullptr, request.count), 8000);
            // when:"now": the clones come with the vm.forked event, like everyone else's.
        },
        [this](const RpcError& e) { showError(tr("Fork failed: %1").arg(e.text())); });
}

void MainWindow::pauseSelected()
{
    for (VmId vm : selectedVms()) m_controller->backend()->pauseVm(vm);
}

void MainWindow::resumeSelected()
{
    for (VmId vm : selectedVms()) m_controller->backend()->resumeVm(vm);
}

void MainWindow::stopSelected()
{
    const QList<VmId> vms = selectedVms();
    if (vms.isEmpty()) return;
    if (vms.size() > 1 &&
        QMessageBox::question(this, tr("Stop VMs"), tr("Stop %n VM(s)?", nullptr, static_cast<int>(vms.size()))) !=
            QMessageBox::Yes)
        return;
    for (VmId vm : vms) m_controller->backend()->stopVm(vm);
}

void MainWindow::openConsoleOfSelected()
{
    const QList<VmId> vms = selectedVms();
    if (vms.size() != 1) return;
    if (const VmInfo* vm = m_controller->vmTree()->vm(vms.first())) m_consoles->openConsole(vm->id, vm->name);
}

void MainWindow::copyPtyPath()
{
    const QList<VmId> vms = selectedVms();
    if (vms.size() != 1) return;
    if (const VmInfo* vm = m_controller->vmTree()->vm(vms.first())) {
        QApplication::clipboard()->setText(vm->pty);
        statusBar()->showMessage(tr("Copied %1").arg(vm->pty), 4000);
    }
}

QString MainWindow::chooseSaveFile(const QString& title, const QString& suggested, const QString& filter)
{
    QSettings settings;
    QString dir = settings.value("paths/lastExportDir").toString();
    if (dir.isEmpty()) dir = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    const QString path = QFileDialog::getSaveFileName(this, title, dir + "/" + suggested, filter);
    if (!path.isEmpty()) settings.setValue("paths/lastExportDir", QFileInfo(path).absolutePath());
    return path;
}

// The latency chart and the Forks table export the latency data; the CoW tab its own.
bool MainWindow::latencyChartShown() const { return m_chartTabs->currentWidget() != m_cowChart; }

bool MainWindow::exportCurrentChart(const QString& path, QString* error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    const bool latency = latencyChartShown();
    ChartView* view = latency ? m_latencyChart->chartView() : m_cowChart->chartView();
    if (suffix == "png") return exportChartPng(view, path, error);
    if (suffix == "svg") return exportChartSvg(view, path, error);
    if (suffix == "csv")
        return latency ? exportCsv(*m_controller->forkLatencies(), path, error)
                       : exportCsv(*m_controller->cowHistory(), path, error);
    *error = tr("%1: unknown format (use .png, .svg or .csv)").arg(path);
    return false;
}

void MainWindow::exportChart(const QString& format)
{
    const bool latency = latencyChartShown();
    const QString base = latency ? "fork-latency" : "cow-pages";
    const QString filter = format == "png" ? tr("PNG images (*.png)") : format == "svg" ? tr("SVG images (*.svg)") : tr("CSV (*.csv)");
    QString path = chooseSaveFile(tr("Export chart"), base + "." + format, filter);
    if (path.isEmpty()) return;
    if (QFileInfo(path).suffix().isEmpty()) path += "." + format;
    QString error;
    if (!exportCurrentChart(path, &error))
        showError(error);
    else
        statusBar()->showMessage(tr("Wrote %1").arg(path), 6000);
}

void MainWindow::exportLatencyCsv()
{
    QString path = chooseSaveFile(tr("Export fork latencies"), "forks.csv", tr("CSV (*.csv)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportCsv(*m_controller->forkLatencies(), path, &error))
        showError(error);
    else
        statusBar()->showMessage(tr("Wrote %1").arg(path), 6000);
}

void MainWindow::showError(const QString& text)
{
    // Non-modal: the window stays usable while the message is shown.
    statusBar()->showMessage(text, 15000);
    QMessageBox* box = new QMessageBox(QMessageBox::Warning, tr("HyperFork"), text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setModal(false);
    box->show();
}

void MainWindow::restoreSettings()
{
    QSettings s;
    restoreGeometry(s.value("window/geometry").toByteArray());
    restoreState(s.value("window/state").toByteArray());
    m_tree->header()->restoreState(s.value("window/treeHeader").toByteArray());
    m_splitter->restoreState(s.value("window/splitter").toByteArray());
    if (!s.contains("window/geometry")) {
        // First run: room for the tree, the consoles and a readable chart.
        resize(1400, 900);
        resizeDocks({m_dock}, {560}, Qt::Horizontal);
        m_splitter->setSizes({280, 520});
    }
}

void MainWindow::saveSettings() const
{
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("window/treeHeader", m_tree->header()->saveState());
    s.setValue("window/splitter", m_splitter->saveState());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    saveSettings();
    event->accept();
}

}  // namespace hf::ui
