#include "window/main_window.h"

#include "backend/display_text.h"
#include "charts/benchmark_charts.h"
#include "charts/chart_export.h"
#include "charts/chart_view.h"
#include "charts/cow_chart.h"
#include "charts/cpu_chart.h"
#include "charts/fork_latency_chart.h"
#include "charts/fork_phases_delegate.h"
#include "console/console_widget.h"
#include "console/terminal_model.h"
#include "dialogs/about_dialog.h"
#include "dialogs/boot_dialog.h"
#include "dialogs/fork_dialog.h"
#include "dialogs/help_dialog.h"
#include "dialogs/name_dialog.h"
#include "dialogs/quit_dialog.h"
#include "dialogs/save_progress_dialog.h"
#include "dialogs/stop_dialog.h"
#include "dialogs/template_dialog.h"
#include "models/template_list_model.h"
#include "models/vm_tree_sort_model.h"
#include "window/app_controller.h"
#include "window/connection_banner.h"
#include "window/console_tabs.h"
#include "window/fork_status_text.h"
#include "window/placeholder_label.h"
#include "window/templates_panel.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace hf::ui {

namespace {

// Column widths for the tree's first layout: Name, ID, State, CPU, Memory,
// Shared, Private, Disk, Fork latency, vCPUs, Uptime.
// State and Fork latency fit "template · 2/2 spares ready" and "12.5 ms (warm)".
constexpr int treeWidths[] = {150, 40, 210, 55, 70, 75, 75, 70, 110, 50, 60};
static_assert(std::size(treeWidths) == VmTreeModel::ColumnCount);
// Versioned with the tree's columns: a header saved before the Disk column
// would put its widths and order on the wrong columns.
constexpr char treeHeaderKey[] = "window/treeHeader2";

// A path as the user knows it: "~/Pictures/HyperFork".
QString homeShortened(const QString& path)
{
    const QString home = QDir::homePath();
    return path.startsWith(home + '/') ? QStringLiteral("~") + path.mid(home.size()) : path;
}

}  // namespace

MainWindow::MainWindow(AppController* controller, QWidget* parent)
    : QMainWindow(parent),
      m_controller(controller),
      m_sandbox(Sandbox::fromEnvironment()),
      m_sorted(new VmTreeSortModel(controller->vmTree(), this)),
      m_tree(new QTreeView(this)),
      m_consoles(new ConsoleTabs(controller->backend(), this)),
      m_banner(new ConnectionBanner(this)),
      m_vmCount(new QLabel(this))
{
    setWindowIcon(QIcon(":/icons/hyperfork.svg"));
    setObjectName("mainWindow");
    m_vmCount->setObjectName("vmCount");
    statusBar()->addPermanentWidget(m_vmCount);

    createTree();
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
    createDock();
    createTemplatesDock();
    createMenusAndToolbar();

    VmTreeModel* model = controller->vmTree();
    connect(model, &QAbstractItemModel::dataChanged, this, &MainWindow::updateActions);
    connect(model, &QAbstractItemModel::rowsInserted, this, [this] {
        updateActions();
        updateVmCount();
    });
    connect(model, &QAbstractItemModel::rowsRemoved, this, [this] {
        updateActions();
        updateVmCount();
    });
    connect(model, &QAbstractItemModel::modelReset, this, [this] {
        m_tree->expandAll();
        updateActions();
        updateVmCount();
    });
    // New clones show under an expanded parent, and so do clones moved up.
    connect(m_sorted, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex& parent) {
        if (parent.isValid()) m_tree->expand(parent);
    });
    connect(model, &QAbstractItemModel::rowsMoved, this, [this](const QModelIndex&, int, int, const QModelIndex& to) {
        if (to.isValid()) m_tree->expand(m_sorted->mapFromSource(to));
    });
    connect(controller, &AppController::healthChanged, this, &MainWindow::onHealthChanged);
    connect(controller, &AppController::errorOccurred, this, &MainWindow::showError);
    connect(m_consoles, &ConsoleTabs::consoleError, this, &MainWindow::showError);
    connect(m_consoles, &QTabWidget::currentChanged, this, &MainWindow::updateActions);
    connect(m_consoles, &ConsoleTabs::consolesChanged, this, &MainWindow::updateActions);
    connect(m_banner, &ConnectionBanner::retryClicked, controller, &AppController::retryNow);
    connect(controller->backend(), &BackendClient::vmForked, this, [this](const ForkEvent& f) {
        const VmInfo* parent = m_controller->vmTree()->vm(f.parent);
        statusBar()->showMessage(forkStatusText(f, parent ? parent->name : tr("VM %1").arg(f.parent)), 15000);
    });

    restoreSettings();
    onHealthChanged();
    updateActions();
    updateVmCount();
    updateExportActions();
}

MainWindow::~MainWindow() = default;

QAction* MainWindow::action(const QString& name) const { return m_actions.value(name); }

QSize MainWindow::initialSize(const QSize& available)
{
    // Room for the tree, the consoles and a readable chart, on a laptop too.
    return QSize(std::min(1400, available.width() * 95 / 100), std::min(900, available.height() * 92 / 100));
}

void MainWindow::createTree()
{
    m_tree->setObjectName("vmTree");
    m_tree->setModel(m_sorted);
    m_tree->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->setContextMenuPolicy(Qt::CustomContextMenu);
    m_tree->setUniformRowHeights(true);  // hundreds of clones
    m_tree->setAlternatingRowColors(true);
    // Sorted by a header click: ascending, descending, then the daemon's
    // order (fork order) again.
    m_tree->header()->setSortIndicator(-1, Qt::AscendingOrder);
    m_tree->header()->setSortIndicatorClearable(true);
    m_tree->setSortingEnabled(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(VmTreeModel::Name, QHeaderView::Interactive);
    for (int c = 0; c < VmTreeModel::ColumnCount; ++c) m_tree->setColumnWidth(c, treeWidths[c]);
    m_defaultHeader = m_tree->header()->saveState();
    m_treeHint = new PlaceholderLabel(m_tree->viewport());

    connect(m_tree, &QTreeView::customContextMenuRequested, this, &MainWindow::showContextMenu);
    connect(m_tree, &QTreeView::activated, this, [this] { openConsoleOfSelected(); });
    connect(m_tree->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MainWindow::updateActions);
}

void MainWindow::createActions()
{
    auto add = [this](const QString& name, const QString& icon, const QString& text, const QKeySequence& key,
                      std::function<void()> slot) {
        auto* a = new QAction(icon.isEmpty() ? QIcon() : QIcon(icon), text, this);
        a->setObjectName(name);
        if (!key.isEmpty()) a->setShortcut(key);
        // Window-wide, but a focused console takes every key first
        // (TerminalView accepts ShortcutOverride): these apply elsewhere.
        a->setShortcutContext(Qt::WindowShortcut);
        connect(a, &QAction::triggered, this, std::move(slot));
        m_actions.insert(name, a);
        return a;
    };
    add("boot", ":/icons/action-boot.svg", tr("&Boot VM…"), QKeySequence(tr("Ctrl+B")), [this] { boot(); });
    add("fork", ":/icons/action-fork.svg", tr("&Fork VM…"), QKeySequence(tr("Ctrl+F")), [this] { fork(); });
    add("template", "", tr("Keep as &Template…"), {}, [this] { keepSelectedAsTemplate(); });
    add("saveTemplate", "", tr("Sa&ve as Template…"), {}, [this] { saveSelectedAsTemplate(); });
    add("pause", ":/icons/action-pause.svg", tr("&Pause"), QKeySequence(tr("Ctrl+P")), [this] { pauseSelected(); });
    add("resume", ":/icons/action-resume.svg", tr("&Resume"), QKeySequence(tr("Ctrl+R")), [this] { resumeSelected(); });
    add("stop", ":/icons/action-stop.svg", tr("&Stop…"), QKeySequence(tr("Ctrl+Del")), [this] { stopSelected(false); });
    add("forceOff", "", tr("F&orce Off…"), {}, [this] { stopSelected(true); });
    add("console", ":/icons/action-console.svg", tr("Open &Console"), QKeySequence(tr("Ctrl+T")),
        [this] { openConsoleOfSelected(); });
    add("copyPty", ":/icons/action-copy.svg", tr("Copy &pty Path"), QKeySequence(tr("Ctrl+Shift+Y")),
        [this] { copyPtyPath(); });
    add("saveDisk", "", tr("Save &Disk As…"), {}, [this] { saveDiskOfSelected(); });
    add("exportChart", ":/icons/action-export.svg", tr("Export Chart…"), {}, [this] { exportShownChart(); });
    add("exportChartPng", "", tr("Export Chart as &PNG…"), {}, [this] { exportChart("png"); });
    add("exportChartSvg", "", tr("Export Chart as &SVG…"), {}, [this] { exportChart("svg"); });
    add("exportChartCsv", "", tr("Export Chart &Data as CSV…"), {}, [this] { exportChart("csv"); });
    add("exportLatencyCsv", "", tr("Export &Forks Table as CSV…"), {}, [this] { exportLatencyCsv(); });
    add("openBenchmark", "", tr("Open &Benchmark…"), {}, [this] { chooseBenchmark(); });
    add("resetLayout", "", tr("&Reset Layout"), {}, [this] { resetLayout(); });
    add("documentation", "", tr("HyperFork &Documentation"), QKeySequence::HelpContents,
        [this] { HelpDialog::documentation(this)->show(); });
    add("shortcuts", "", tr("&Keyboard Shortcuts"), {}, [this] {
        QList<QAction*> actions;
        for (const char* name : {"boot", "fork", "pause", "resume", "stop", "console", "copyPty", "documentation", "quit"})
            actions << m_actions[name];
        HelpDialog::shortcuts(this, actions)->show();
    });
    add("about", "", tr("&About HyperFork"), {}, [this] {
        BackendClient* backend = m_controller->backend();
        showAboutDialog(this, backend->isConnected() ? &backend->daemonInfo() : nullptr);
    });
    add("quit", "", tr("&Quit"), QKeySequence(tr("Ctrl+Q")), [this] { close(); });
    m_actions["stop"]->setToolTip(tr("Stop the selected VMs cleanly; asks first, and whether their clones stop too"));
    // Two kinds of template: say which is which wherever they are offered.
    m_actions["template"]->setToolTip(tr("Keep the selected VM paused in memory as a template with warm spares: "
                                         "clones built ahead, so its forks run at once; Resume ends it, and it is "
                                         "gone when the VM stops (Save as Template… keeps a VM on disk)"));
    m_actions["template"]->setWhatsThis(m_actions["template"]->toolTip());
    m_actions["saveTemplate"]->setToolTip(tr("Write the selected VM to a template on disk, which starts new VMs "
                                             "later, after a restart too (the Templates list); the VM is paused "
                                             "while it saves. Keep as Template… keeps a VM paused in memory instead"));
    m_actions["saveTemplate"]->setWhatsThis(m_actions["saveTemplate"]->toolTip());
    m_actions["forceOff"]->setToolTip(tr("Kill the selected VMs at once, like pulling the plug; asks first"));
    m_actions["saveDisk"]->setToolTip(tr("Write what the selected VM sees on a disk (its image with its own writes) "
                                         "to a new image file"));
    createSendKeyActions();
}

void MainWindow::createSendKeyActions()
{
    // What a focused console cannot take (the desktop keeps Ctrl+Alt+Del),
    // or what is handy from a menu. Sent to the console on show.
    auto* sendKey = new QAction(tr("Send &Key"), this);
    sendKey->setObjectName("sendKey");
    auto* menu = new QMenu(this);
    sendKey->setMenu(menu);
    m_actions.insert("sendKey", sendKey);
    struct Key {
        const char* name;
        const char* text;
        int key;
        Qt::KeyboardModifiers modifiers;
    };
    const Key keys[] = {
        {"sendCtrlC", QT_TR_NOOP("Ctrl+C (interrupt)"), Qt::Key_C, Qt::ControlModifier},
        {"sendCtrlD", QT_TR_NOOP("Ctrl+D (end of input)"), Qt::Key_D, Qt::ControlModifier},
        {"sendCtrlZ", QT_TR_NOOP("Ctrl+Z (suspend)"), Qt::Key_Z, Qt::ControlModifier},
        {"sendCtrlBackslash", QT_TR_NOOP("Ctrl+\\ (quit)"), Qt::Key_Backslash, Qt::ControlModifier},
        {"sendCtrlAltDel", QT_TR_NOOP("Ctrl+Alt+Del"), Qt::Key_Delete, Qt::ControlModifier | Qt::AltModifier},
        {"sendEscape", QT_TR_NOOP("Escape"), Qt::Key_Escape, Qt::NoModifier},
    };
    for (const Key& k : keys) {
        QAction* a = menu->addAction(tr(k.text));
        a->setObjectName(k.name);
        connect(a, &QAction::triggered, this, [this, key = k.key, modifiers = k.modifiers] {
            if (auto* console = qobject_cast<ConsoleWidget*>(m_consoles->currentWidget())) {
                console->model()->sendKey(key, modifiers);
                console->setFocus();
            }
        });
        m_actions.insert(k.name, a);
    }
}

void MainWindow::createMenusAndToolbar()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_actions["openBenchmark"]);
    file->addSeparator();
    for (const char* name : {"exportChartPng", "exportChartSvg", "exportChartCsv", "exportLatencyCsv"})
        file->addAction(m_actions[name]);
    file->addSeparator();
    file->addAction(m_actions["quit"]);

    QMenu* view = menuBar()->addMenu(tr("Vie&w"));
    QAction* charts = m_dock->toggleViewAction();
    charts->setObjectName("showCharts");
    charts->setText(tr("&Charts"));
    m_actions.insert("showCharts", charts);
    view->addAction(charts);
    QAction* templates = m_templatesDock->toggleViewAction();
    templates->setObjectName("showTemplates");
    templates->setText(tr("T&emplates on Disk"));
    m_actions.insert("showTemplates", templates);
    view->addAction(templates);

    QMenu* vm = menuBar()->addMenu(tr("&VM"));
    for (const char* name : {"boot", "fork", "template", "saveTemplate"}) vm->addAction(m_actions[name]);
    vm->addSeparator();
    for (const char* name : {"pause", "resume", "stop", "forceOff"}) vm->addAction(m_actions[name]);
    vm->addSeparator();
    for (const char* name : {"console", "sendKey", "copyPty"}) vm->addAction(m_actions[name]);
    vm->addSeparator();
    vm->addAction(m_actions["saveDisk"]);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    for (const char* name : {"documentation", "shortcuts"}) help->addAction(m_actions[name]);
    help->addSeparator();
    help->addAction(m_actions["about"]);

    QToolBar* bar = addToolBar(tr("VMs"));
    bar->setObjectName("vmToolbar");
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    for (const char* name : {"boot", "fork", "pause", "resume", "stop", "console"}) bar->addAction(m_actions[name]);
    bar->addSeparator();
    bar->addAction(m_actions["exportChart"]);
    QAction* toolbar = bar->toggleViewAction();
    toolbar->setText(tr("&Toolbar"));
    view->addAction(toolbar);
    view->addSeparator();
    view->addAction(m_actions["resetLayout"]);
    m_defaultState = saveState();
}

void MainWindow::createDock()
{
    AppController* c = m_controller;
    m_latencyChart = new ForkLatencyChart(c->forkLatencies(), this);
    m_cowChart = new CowChart(c->metricsHistory(), this);
    m_cpuChart = new CpuChart(c->metricsHistory(), this);
    m_latencyTable = new QTableView(this);
    m_latencyTable->setObjectName("forkLatencyTable");
    m_latencyTable->setModel(c->forkLatencies());
    m_latencyTable->verticalHeader()->hide();
    // In fork order, a log: not sortable, so no header reserves room for a
    // sort arrow, and the phases are one bar: every column fits the dock.
    m_latencyTable->setItemDelegateForColumn(ForkLatencyTable::Phases, new ForkPhasesDelegate(m_latencyTable));
    m_latencyTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_latencyTable->verticalHeader()->setDefaultSectionSize(m_latencyTable->fontMetrics().height() + 8);
    m_latencyTable->horizontalHeader()->setMinimumSectionSize(24);
    m_latencyTable->setAlternatingRowColors(true);

    m_chartTabs = new QTabWidget(this);
    m_chartTabs->setObjectName("chartTabs");
    m_chartTabs->addTab(m_latencyChart, tr("Fork latency"));
    m_chartTabs->addTab(m_cowChart, tr("Memory"));
    m_chartTabs->addTab(m_cpuChart, tr("CPU"));
    // The table, and what the colours of its Phases bars mean.
    auto* forksPage = new QWidget(this);
    auto* forksLayout = new QVBoxLayout(forksPage);
    forksLayout->setContentsMargins(0, 0, 0, 0);
    forksLayout->addWidget(m_latencyTable, 1);
    // Cold phases, then a warm spare's, each list named; a line breaks
    // between entries only, never between a colour and its name.
    QString legend = tr("Cold:");
    for (qsizetype p = 0; p < ForkLatencyTable::phases().size(); ++p) {
        if (p == ForkLatencyTable::coldPhases().size()) legend += tr(" &nbsp; Warm (from a spare):");
        legend += QStringLiteral(" &nbsp;<span style='white-space:nowrap'><span style='color:%1'>&#9632;</span>"
                                 "&nbsp;%2</span>")
                      .arg(phaseColors().value(p).name(), ForkLatencyTable::phases()[p]);
    }
    auto* legendLabel = new QLabel(legend, forksPage);
    legendLabel->setContentsMargins(6, 2, 6, 4);
    legendLabel->setWordWrap(true);  // eight phases: wraps rather than widen the dock
    forksLayout->addWidget(legendLabel);
    m_forksPage = forksPage;
    m_chartTabs->addTab(forksPage, tr("Forks"));
    // A benchmark's results from a file (File > Open Benchmark…, or dropped on the page).
    m_benchmarkCharts = new BenchmarkCharts(this);
    m_chartTabs->addTab(m_benchmarkCharts, tr("Benchmark"));
    m_chartTabs->setTabToolTip(m_chartTabs->indexOf(m_benchmarkCharts),
                               tr("A benchmark's results as the paper's Figures 4 and 5: File > Open Benchmark…"));
    connect(m_benchmarkCharts, &BenchmarkCharts::opened, this, [this](const QString& path) {
        m_chartTabs->setCurrentWidget(m_benchmarkCharts);
        updateExportActions();
        statusBar()->showMessage(tr("Opened %1").arg(path), 15000);
    });
    connect(m_benchmarkCharts, &BenchmarkCharts::openFailed, this, &MainWindow::showError);
    m_chartTabs->setTabToolTip(1, tr("Host memory used against the VMs' size: what copy-on-write sharing saves"));
    m_chartTabs->setMinimumWidth(320);

    m_dock = new QDockWidget(tr("Charts"), this);
    m_dock->setObjectName("chartsDock");
    m_dock->setWidget(m_chartTabs);
    addDockWidget(Qt::RightDockWidgetArea, m_dock);

    // The charts follow the VMs selected in the tree; none: all VMs.
    connect(m_tree->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const QList<VmId> vms = selectedVms();
        m_cowChart->followSelection(vms);
        m_cpuChart->followSelection(vms);
    });
    connect(m_chartTabs, &QTabWidget::currentChanged, this, &MainWindow::updateExportActions);
    connect(m_cowChart, &MetricsChart::refreshed, this, &MainWindow::updateExportActions);
    connect(m_cpuChart, &MetricsChart::refreshed, this, &MainWindow::updateExportActions);
    connect(c->forkLatencies(), &QAbstractItemModel::rowsInserted, this, &MainWindow::updateExportActions);
    connect(c->forkLatencies(), &QAbstractItemModel::modelReset, this, &MainWindow::updateExportActions);
}

void MainWindow::createTemplatesDock()
{
    m_templates = new TemplatesPanel(m_controller, this);
    for (QAction* a : m_templates->actions()) m_actions.insert(a->objectName(), a);
    m_templatesDock = new QDockWidget(tr("Templates"), this);
    m_templatesDock->setObjectName("templatesDock");
    m_templatesDock->setWidget(m_templates);
    m_templatesDock->setToolTip(tr("Templates on disk, written by Save as Template…: each starts new VMs"));
    // A tab next to the charts: on a laptop's screen there is no room for both at once.
    addDockWidget(Qt::RightDockWidgetArea, m_templatesDock);
    tabifyDockWidget(m_dock, m_templatesDock);
    m_dock->raise();
    // Shown (opened, or its tab chosen): what is on disk may have changed.
    // A tab behind another is not hidden, so this is the dock's signal, not a show event.
    connect(m_templatesDock, &QDockWidget::visibilityChanged, m_controller, [this](bool visible) {
        if (visible) m_controller->refreshTemplates();
    });
    connect(m_templates, &TemplatesPanel::vmStarted, this, &MainWindow::showBootedVm);
    connect(m_templates, &TemplatesPanel::errorOccurred, this, &MainWindow::showError);
    connect(m_templates, &TemplatesPanel::statusMessage, this, [this](const QString& text) {
        if (text.isEmpty())
            statusBar()->clearMessage();
        else
            statusBar()->showMessage(text, 15000);
    });
}

QList<VmId> MainWindow::selectedVms() const
{
    QList<VmId> vms;
    for (const QModelIndex& index : m_tree->selectionModel()->selectedRows())
        if (const VmId id = index.data(VmTreeModel::VmIdRole).toLongLong()) vms.append(id);
    return vms;
}

void MainWindow::selectVm(VmId vm)
{
    const QModelIndex index = m_sorted->mapFromSource(m_controller->vmTree()->indexOf(vm));
    m_tree->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    // Not QTreeView::setCurrentIndex: with Ctrl held it would toggle the row off again.
    m_tree->selectionModel()->setCurrentIndex(index, QItemSelectionModel::NoUpdate);
    m_tree->scrollTo(index);
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
    m_actions["template"]->setEnabled(connected && one && anyIn({"running", "paused"}));
    m_actions["saveTemplate"]->setEnabled(connected && one && anyIn({"running", "paused"}) &&
                                          m_controller->backend()->daemonInfo().hasTemplatesOnDisk());
    m_actions["pause"]->setEnabled(connected && anyIn({"running"}));
    m_actions["resume"]->setEnabled(connected && anyIn({"paused"}));
    m_actions["stop"]->setEnabled(connected && anyIn({"booting", "running", "paused"}));
    m_actions["forceOff"]->setEnabled(connected && anyIn({"booting", "running", "paused", "stopping"}));
    m_actions["console"]->setEnabled(connected && one);
    const VmInfo* only = one ? model->vm(vms.first()) : nullptr;
    m_actions["saveDisk"]->setEnabled(connected && only && !only->disks.isEmpty() && anyIn({"running", "paused"}));
    // In the sandbox the pty exists only inside it: a path no host terminal can open.
    m_actions["copyPty"]->setEnabled(one && !m_sandbox.active);
    m_actions["copyPty"]->setToolTip(m_sandbox.active ? tr("The console's pty exists only inside the KVM sandbox: "
                                                           "use the console tab")
                                                      : tr("Copy the console's pty path, for screen or picocom"));
    auto* console = qobject_cast<ConsoleWidget*>(m_consoles->currentWidget());
    const bool canSend = console && console->isAttached();
    m_actions["sendKey"]->setEnabled(canSend);
    for (QAction* a : m_actions["sendKey"]->menu()->actions()) a->setEnabled(canSend);
    // Empty tree: say how to fill it.
    if (model->vmCount() > 0) {
        m_treeHint->hide();
    } else {
        m_treeHint->setText(!connected ? tr("Not connected to hyperforkd")
                            : m_controller->backend()->daemonInfo().kvmAvailable
                                ? tr("No VMs — Boot VM… (%1)").arg(m_actions["boot"]->shortcut().toString(QKeySequence::NativeText))
                                : tr("No VMs: KVM is unavailable here (see above)"));
        m_treeHint->show();
    }
}

void MainWindow::updateVmCount()
{
    const VmTreeModel* model = m_controller->vmTree();
    const int vms = model->vmCount();
    int clones = 0;
    for (VmId root : model->roots()) {
        QList<VmId> todo = model->children(root);
        while (!todo.isEmpty()) {
            ++clones;
            todo << model->children(todo.takeFirst());
        }
    }
    QString text = vms == 0 ? tr("No VMs") : countText(vms, tr("VM"), tr("VMs"));
    if (clones > 0) text += tr(" (%1)").arg(countText(clones, tr("clone"), tr("clones")));
    m_vmCount->setText(text);
}

MetricsChart* MainWindow::shownMetricsChart() const
{
    QWidget* shown = m_chartTabs->currentWidget();
    if (shown == m_cowChart) return m_cowChart;
    if (shown == m_cpuChart) return m_cpuChart;
    return nullptr;
}

void MainWindow::updateExportActions()
{
    const bool forks = m_controller->forkLatencies()->rowCount() > 0;
    MetricsChart* metrics = shownMetricsChart();
    const bool table = m_chartTabs->currentWidget() == m_forksPage;
    const bool benchmark = m_chartTabs->currentWidget() == m_benchmarkCharts;
    const bool data = metrics ? metrics->hasData() : benchmark ? m_benchmarkCharts->hasData() : forks;
    QAction* shown = m_actions["exportChart"];
    shown->setText(metrics == m_cowChart ? tr("Export Memory Chart…")
                   : metrics == m_cpuChart ? tr("Export CPU Chart…")
                   : table ? tr("Export Forks Table…")
                   : benchmark ? tr("Export Benchmark Charts…")
                               : tr("Export Fork Latency Chart…"));
    shown->setToolTip(data ? tr("Save the chart on show as PNG, SVG or CSV") : tr("Nothing to export yet"));
    shown->setEnabled(data);
    for (const char* name : {"exportChartPng", "exportChartSvg"}) m_actions[name]->setEnabled(data && !table);
    m_actions["exportChartCsv"]->setEnabled(data);
    m_actions["exportLatencyCsv"]->setEnabled(forks);
}

void MainWindow::updateTitle()
{
    const BackendClient* backend = m_controller->backend();
    QString title = tr("HyperFork");
    if (backend->isConnected()) {
        const DaemonInfo& d = backend->daemonInfo();
        title += tr(" — hyperforkd %1 (pid %2)").arg(d.version).arg(d.pid);
        if (backend->socketPath() != BackendClient::defaultSocketPath()) title += tr(" at %1").arg(backend->socketPath());
    } else {
        title += tr(" — not connected");
    }
    if (m_sandbox.active) title += tr(", in the KVM sandbox");
    setWindowTitle(title);
}

void MainWindow::showContextMenu(const QPoint& pos)
{
    const QModelIndex index = m_tree->indexAt(pos);
    if (index.isValid() && !m_tree->selectionModel()->isRowSelected(index.row(), index.parent()))
        selectVm(index.data(VmTreeModel::VmIdRole).toLongLong());
    QMenu menu(this);
    if (index.isValid()) {
        menu.addAction(m_actions["fork"]);
        menu.addAction(m_actions["template"]);
        menu.addAction(m_actions["saveTemplate"]);
        menu.addSeparator();
        for (const char* name : {"pause", "resume", "stop", "forceOff"}) menu.addAction(m_actions[name]);
        menu.addSeparator();
        menu.addAction(m_actions["console"]);
        menu.addAction(m_actions["copyPty"]);
        menu.addSeparator();
        menu.addAction(m_actions["saveDisk"]);
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
    m_banner->setToolTip(m_controller->health() == Health::NoKvm ? m_controller->backend()->daemonInfo().kvmDetail : QString());
    updateTitle();
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
    // Once, on the first vm.list: the default guest only when nothing runs,
    // and only with KVM (without, the banner says how to get it).
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(m_controller->backend(), &BackendClient::vmListReceived, this,
                          [this, connection](const QList<VmInfo>& vms) {
                              disconnect(*connection);
                              if (!vms.isEmpty() || !m_controller->backend()->daemonInfo().kvmAvailable) return;
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
    const VmInfo* vm = m_controller->vmTree()->vm(request.vm);
    const QString name = vm ? vm->name : tr("VM %1").arg(request.vm);
    m_controller->backend()->forkVm(
        request, this,
        [this, request, name](const QJsonObject& result) {
            if (result.value("armed").toBool())
                statusBar()->showMessage(tr("Armed %1: the guest's next hf-signal fork makes %2")
                                             .arg(name, countText(request.count, tr("clone"), tr("clones"))),
                                         15000);
            // when:"now": the clones come with the vm.forked event, like everyone else's.
        },
        [this, name](const RpcError& e) { showError(tr("Forking %1 failed: %2").arg(name, e.text())); });
}

void MainWindow::keepSelectedAsTemplate()
{
    const QList<VmId> vms = selectedVms();
    const VmInfo* vm = vms.size() == 1 ? m_controller->vmTree()->vm(vms.first()) : nullptr;
    if (!vm) return;
    // A template already: offer its count, to change it.
    auto* dialog = new TemplateDialog(vm->id, vm->name, vm->spares ? vm->spares->wanted : TemplateRequest::defaultSpares,
                                      this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog] { keepAsTemplate(dialog->request()); });
    dialog->open();
}

void MainWindow::keepAsTemplate(const TemplateRequest& request)
{
    const VmInfo* vm = m_controller->vmTree()->vm(request.vm);
    const QString name = vm ? vm->name : tr("VM %1").arg(request.vm);
    if (const QString error = request.validate(); !error.isEmpty())
        return showError(tr("Cannot keep %1 as a template: %2").arg(name, error));
    m_controller->backend()->makeTemplate(
        request, this,
        [this, name, spares = request.spares](const VmInfo&) {
            statusBar()->showMessage(spares == 0 ? tr("Kept %1 paused as a template, without spares").arg(name)
                                                 : tr("Kept %1 paused as a template; building %2")
                                                       .arg(name, countText(spares, tr("warm spare"), tr("warm spares"))),
                                     15000);
        },
        [this, name](const RpcError& e) { showError(tr("Keeping %1 as a template failed: %2").arg(name, e.text())); });
}

void MainWindow::saveSelectedAsTemplate()
{
    const QList<VmId> vms = selectedVms();
    const VmInfo* vm = vms.size() == 1 ? m_controller->vmTree()->vm(vms.first()) : nullptr;
    if (!vm) return;
    NameDialog::Text text{
        tr("Save %1 as a Template").arg(vm->name),
        tr("Writes %1 to disk as a template: Start Clone in the Templates list then starts new VMs from it, each "
           "going on where %1 is now, after a restart too.%2 (Keep as Template… keeps a VM paused in memory "
           "instead.)")
            .arg(vm->name.toHtmlEscaped(),
                 vm->state == "running" ? tr(" %1 is paused while it saves, and runs on after.").arg(vm->name.toHtmlEscaped())
                                        : QString()),
        tr("&Template name:"), tr("&Save")};
    auto check = [this](const QString& name) {
        if (const QString e = nameError(name); !e.isEmpty()) return e;
        if (m_controller->templates()->find(name)) return tr("a template named %1 exists: choose another name, or delete it first").arg(name);
        return QString();
    };
    auto* dialog = new NameDialog(text, vm->name, check, this);
    dialog->setObjectName("saveTemplateDialog");
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog, id = vm->id] { saveAsTemplate(SaveTemplateRequest{id, dialog->name()}); });
    dialog->open();
}

void MainWindow::saveAsTemplate(const SaveTemplateRequest& request)
{
    const VmInfo* vm = m_controller->vmTree()->vm(request.vm);
    const QString name = vm ? vm->name : tr("VM %1").arg(request.vm);
    if (const QString error = request.validate(); !error.isEmpty())
        return showError(tr("Cannot save %1 as a template: %2").arg(name, error));
    // The window only shows progress: hiding it leaves the save going, and
    // the status bar carries the progress on.
    QPointer<SaveProgressDialog> dialog =
        new SaveProgressDialog(name, request.name, vm && vm->state == "running", this);
    dialog->setObjectName("saveProgressDialog");
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    statusBar()->showMessage(tr("Saving %1 as the template %2…").arg(name, request.name));
    auto progress = std::make_shared<QMetaObject::Connection>();
    *progress = connect(m_controller->backend(), &BackendClient::templateSaveProgress, this,
                        [this, dialog, request, name](const SaveProgress& p) {
                            if (p.vm != request.vm || p.name != request.name) return;  // another save
                            if (dialog) dialog->setProgress(p.done, p.total);
                            statusBar()->showMessage(
                                p.total > 0 ? tr("Saving %1 as the template %2: %3 of %4…")
                                                  .arg(name, request.name, bytesText(p.done), bytesText(p.total))
                                            : tr("Saving %1 as the template %2…").arg(name, request.name));
                        });
    auto finish = [this, dialog, progress] {
        disconnect(*progress);
        if (dialog) dialog->close();
    };
    m_controller->backend()->saveTemplate(
        request, this,
        [this, finish, name](const TemplateInfo& t) {
            finish();
            m_controller->templates()->addOrUpdate(t);
            m_controller->refreshTemplates();
            statusBar()->showMessage(tr("Saved %1 as the template %2: %3 on disk, %4 of RAM")
                                         .arg(name, t.name, bytesText(t.bytes), bytesText(t.memoryBytes)),
                                     15000);
        },
        [this, finish, name, request](const RpcError& e) {
            finish();
            statusBar()->clearMessage();
            showError(tr("Saving %1 as the template %2 failed: %3").arg(name, request.name, e.text()));
        });
}

void MainWindow::pauseSelected()
{
    for (VmId vm : selectedVms()) m_controller->backend()->pauseVm(vm);
}

void MainWindow::resumeSelected()
{
    for (VmId vm : selectedVms()) m_controller->backend()->resumeVm(vm);
}

void MainWindow::stopSelected(bool force)
{
    const QList<VmId> vms = selectedVms();
    if (vms.isEmpty()) return;
    const VmTreeModel* model = m_controller->vmTree();
    QList<StopDialog::Target> targets;
    for (VmId id : vms) {
        const VmInfo* vm = model->vm(id);
        if (!vm) continue;
        StopDialog::Target t{id, vm->name, {}, {}};
        QList<VmId> todo = model->children(id);
        while (!todo.isEmpty()) {
            const VmId clone = todo.takeFirst();
            if (const VmInfo* c = model->vm(clone)) t.clones << c->name;
            todo = model->children(clone) + todo;  // depth first
        }
        // Its clones move up to the nearest ancestor that is not stopped too.
        for (std::optional<VmId> p = vm->parent; p; p = model->vm(*p) ? model->vm(*p)->parent : std::nullopt)
            if (!vms.contains(*p) && model->vm(*p)) {
                t.parent = model->vm(*p)->name;
                break;
            }
        targets << t;
    }
    if (targets.isEmpty()) return;
    auto* dialog = new StopDialog(targets, force ? StopDialog::Kind::ForceOff : StopDialog::Kind::Stop, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::finished, this, [this, dialog, ids = vms, force] {
        if (dialog->clickedButton() != dialog->confirmButton()) return;
        const bool tree = dialog->stopClones();
        const VmTreeModel* model = m_controller->vmTree();
        for (VmId id : ids) {
            // With its clones: a VM whose ancestor is stopped with its tree goes with it.
            bool covered = false;
            for (std::optional<VmId> p = model->vm(id) ? model->vm(id)->parent : std::nullopt; tree && p && !covered;
                 p = model->vm(*p) ? model->vm(*p)->parent : std::nullopt)
                covered = ids.contains(*p);
            if (!covered) m_controller->backend()->stopVm(id, tree, force);
        }
    });
    dialog->open();
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
    if (vms.size() != 1 || m_sandbox.active) return;
    if (const VmInfo* vm = m_controller->vmTree()->vm(vms.first())) {
        QApplication::clipboard()->setText(vm->pty);
        statusBar()->showMessage(tr("Copied %1, the console of %2: screen %1, or picocom %1").arg(vm->pty, vm->name), 15000);
    }
}

QString MainWindow::chooseSaveFile(const QString& title, const QString& suggested, const QString& filter,
                                   QFileDialog::Options options)
{
    QSettings settings;
    QString dir = settings.value("paths/lastExportDir").toString();
    if (dir.isEmpty() || !QFileInfo(dir).isDir() || !m_sandbox.reachesHost(dir + "/x")) dir = m_sandbox.defaultExportDir();
    // In the sandbox, say in the dialog where a file reaches the user's disk.
    const QString where = m_sandbox.active && !m_sandbox.exportDir.isEmpty()
                              ? tr("%1 — in the KVM sandbox only %2 and the source tree reach your disk")
                                    .arg(title, homeShortened(m_sandbox.exportDir))
                              : title;
    const QString path = QFileDialog::getSaveFileName(this, where, dir + "/" + suggested, filter, nullptr, options);
    if (!path.isEmpty()) settings.setValue("paths/lastExportDir", QFileInfo(path).absolutePath());
    return path;
}

QString MainWindow::sandboxRefusal(const QString& path) const
{
    if (m_sandbox.reachesHost(path)) return {};
    return tr("%1 is inside the KVM sandbox: its files are read-only or vanish when HyperFork closes. "
              "Save under %2 instead (scripts/run shares it with your disk).")
        .arg(path, homeShortened(m_sandbox.defaultExportDir()));
}

bool MainWindow::exportCurrentChart(const QString& path, QString* error)
{
    if (const QString refusal = sandboxRefusal(path); !refusal.isEmpty()) {
        *error = refusal;
        return false;
    }
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (m_chartTabs->currentWidget() == m_benchmarkCharts) {
        if (suffix == "png") return m_benchmarkCharts->exportPng(path, error);
        if (suffix == "svg") return m_benchmarkCharts->exportSvg(path, error);
        if (suffix == "csv") {
            if (const Benchmark* b = m_benchmarkCharts->benchmark()) return exportCsv(*b, path, error);
            *error = tr("cannot write %1: no benchmark is open").arg(path);
            return false;
        }
        *error = tr("%1: unknown format (use .png, .svg or .csv)").arg(path);
        return false;
    }
    MetricsChart* metrics = shownMetricsChart();
    if (metrics) metrics->refresh();
    ChartView* view = metrics ? metrics->chartView() : m_latencyChart->chartView();
    if (suffix == "png") return exportChartPng(view, path, error);
    if (suffix == "svg") return exportChartSvg(view, path, error);
    if (suffix == "csv")
        return metrics ? exportCsv(*m_controller->metricsHistory(), path, error)
                       : exportCsv(*m_controller->forkLatencies(), path, error);
    *error = tr("%1: unknown format (use .png, .svg or .csv)").arg(path);
    return false;
}

void MainWindow::exportChart(const QString& format)
{
    MetricsChart* metrics = shownMetricsChart();
    const bool benchmark = m_chartTabs->currentWidget() == m_benchmarkCharts;
    const QString base = metrics == m_cowChart ? "memory" : metrics == m_cpuChart ? "cpu" : benchmark ? "benchmark" : "fork-latency";
    const QString filter = format == "png" ? tr("PNG images (*.png)") : format == "svg" ? tr("SVG images (*.svg)") : tr("CSV (*.csv)");
    QString path = chooseSaveFile(tr("Export chart"), base + "." + format, filter);
    if (path.isEmpty()) return;
    if (QFileInfo(path).suffix().isEmpty()) path += "." + format;
    QString error;
    if (!exportCurrentChart(path, &error))
        showError(error);
    else
        statusBar()->showMessage(tr("Wrote %1").arg(path), 15000);
}

void MainWindow::exportShownChart()
{
    if (m_chartTabs->currentWidget() == m_forksPage) return exportLatencyCsv();
    MetricsChart* metrics = shownMetricsChart();
    const bool benchmark = m_chartTabs->currentWidget() == m_benchmarkCharts;
    const QString base = metrics == m_cowChart ? "memory" : metrics == m_cpuChart ? "cpu" : benchmark ? "benchmark" : "fork-latency";
    const QString png = tr("PNG image (*.png)"), svg = tr("SVG image (*.svg)"), csv = tr("CSV data (*.csv)");
    QString path = chooseSaveFile(tr("Export chart"), base + ".png", png + ";;" + svg + ";;" + csv);
    if (path.isEmpty()) return;
    if (QFileInfo(path).suffix().isEmpty()) path += ".png";
    QString error;
    if (!exportCurrentChart(path, &error))
        showError(error);
    else
        statusBar()->showMessage(tr("Wrote %1").arg(path), 15000);
}

void MainWindow::chooseBenchmark()
{
    QSettings settings;
    QString dir = settings.value("paths/lastBenchmarkDir").toString();
    if (dir.isEmpty() || !QFileInfo(dir).isDir()) dir = QDir::currentPath();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a benchmark's summary.csv (or its runs.csv)"), dir,
                                                      tr("Benchmark CSV (*.csv);;All files (*)"));
    if (path.isEmpty()) return;
    settings.setValue("paths/lastBenchmarkDir", QFileInfo(path).absolutePath());
    QString error;
    if (!openBenchmark(path, &error)) showError(error);
}

bool MainWindow::openBenchmark(const QString& path, QString* error)
{
    return m_benchmarkCharts->open(path, error);  // its opened() shows it
}

void MainWindow::exportLatencyCsv()
{
    QString path = chooseSaveFile(tr("Export the forks table"), "forks.csv", tr("CSV (*.csv)"));
    if (path.isEmpty()) return;
    QString error = sandboxRefusal(path);
    if (!error.isEmpty() || !exportCsv(*m_controller->forkLatencies(), path, &error))
        showError(error);
    else
        statusBar()->showMessage(tr("Wrote %1").arg(path), 15000);
}

void MainWindow::saveDiskOfSelected()
{
    const QList<VmId> vms = selectedVms();
    const VmInfo* vm = vms.size() == 1 ? m_controller->vmTree()->vm(vms.first()) : nullptr;
    if (!vm || vm->disks.isEmpty()) return;
    int disk = vm->disks.first().index;
    if (vm->disks.size() > 1) {
        QStringList items;
        for (const DiskInfo& d : vm->disks) items << tr("disk %1: %2").arg(d.index).arg(d.path);
        bool ok = false;
        const QString item = QInputDialog::getItem(this, tr("Save Disk As"), tr("Which disk of %1?").arg(vm->name),
                                                   items, 0, false, &ok);
        if (!ok) return;
        disk = vm->disks.at(items.indexOf(item)).index;
    }
    const VmId id = vm->id;
    const QString suggested = QStringLiteral("%1-disk%2.img").arg(vm->name).arg(disk);
    // The daemon writes only new files: the chooser does not offer to overwrite.
    const QString path = chooseSaveFile(tr("Save the disk of %1 as a new image").arg(vm->name), suggested,
                                        tr("Disk images (*.img *.ext4 *.raw);;All files (*)"),
                                        QFileDialog::DontConfirmOverwrite);
    if (!path.isEmpty()) saveDisk(id, disk, path);
}

void MainWindow::saveDisk(VmId vm, int disk, const QString& path)
{
    const VmInfo* info = m_controller->vmTree()->vm(vm);
    const QString name = info ? info->name : tr("VM %1").arg(vm);
    const DiskSaveRequest request{vm, disk, path};
    QString error = sandboxRefusal(path);
    if (error.isEmpty()) error = request.validate();
    if (!error.isEmpty()) return showError(tr("Cannot save disk %1 of %2: %3").arg(disk).arg(name, error));
    statusBar()->showMessage(tr("Saving disk %1 of %2 to %3…").arg(disk).arg(name, path));
    m_controller->backend()->saveDisk(
        request, this,
        [this, name](const DiskSaveResult& r) {
            const auto size = [](qint64 bytes) { return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat); };
            statusBar()->showMessage(tr("Saved disk %1 of %2 to %3: %4, %5 of it written by the VM")
                                         .arg(r.disk)
                                         .arg(name, r.path, size(r.bytes), size(r.overlayBytes)),
                                     15000);
        },
        [this, name, disk](const RpcError& e) {
            statusBar()->clearMessage();
            showError(tr("Saving disk %1 of %2 failed: %3").arg(disk).arg(name, e.text()));
        });
}

void MainWindow::showError(const QString& text)
{
    // Once, in a box that does not block the window (not also in the status bar).
    QMessageBox* box = new QMessageBox(QMessageBox::Warning, tr("HyperFork"), text, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setModal(false);
    box->show();
}

void MainWindow::resetLayout()
{
    restoreState(m_defaultState);
    for (QDockWidget* dock : {m_dock, m_templatesDock}) {
        dock->setFloating(false);
        dock->show();
    }
    m_dock->raise();  // the charts on top, the templates a tab behind them
    m_tree->header()->restoreState(m_defaultHeader);
    m_tree->sortByColumn(-1, Qt::AscendingOrder);
    resizeDocks({m_dock}, {width() * 2 / 5}, Qt::Horizontal);
    m_splitter->setSizes({height() * 35 / 100, height() * 65 / 100});
}

void MainWindow::restoreSettings()
{
    QSettings s;
    if (!s.contains("window/geometry")) {
        // First run: fit the screen, laptops' 1366x768 included.
        const QScreen* screen = this->screen() ? this->screen() : QGuiApplication::primaryScreen();
        resize(initialSize(screen ? screen->availableGeometry().size() : QSize(1366, 768)));
        resetLayout();
        return;
    }
    restoreGeometry(s.value("window/geometry").toByteArray());
    restoreState(s.value("window/state").toByteArray());
    m_tree->header()->restoreState(s.value(treeHeaderKey).toByteArray());
    m_splitter->restoreState(s.value("window/splitter").toByteArray());
}

void MainWindow::saveSettings() const
{
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue(treeHeaderKey, m_tree->header()->saveState());
    s.setValue("window/splitter", m_splitter->saveState());
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    const int running = m_controller->vmTree()->vmCount();
    if (m_closeDecided || running == 0 || !m_controller->backend()->isConnected()) {
        if (running == 0) m_controller->stopIdleDaemon();  // nothing to keep it for
        saveSettings();
        event->accept();
        return;
    }
    // VMs run: ask, without blocking (the answer closes the window again).
    event->ignore();
    if (m_quitDialog) return;
    m_quitDialog = new QuitDialog(running, m_sandbox.active, this);
    m_quitDialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_quitDialog, &QDialog::finished, this, [this, dialog = m_quitDialog.data()] {
        switch (dialog->choice()) {
        case QuitDialog::Choice::Cancel: return;
        case QuitDialog::Choice::KeepRunning:
            m_closeDecided = true;
            close();
            return;
        case QuitDialog::Choice::StopVms:
            statusBar()->showMessage(tr("Stopping every VM…"));
            m_controller->stopAllVms(this, [this] {
                m_closeDecided = true;
                close();
            });
            return;
        }
    });
    m_quitDialog->open();
}

}  // namespace hf::ui
