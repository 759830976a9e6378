#pragma once
// The HyperFork window: the VM tree (sortable, context menu, toolbar,
// shortcuts), console tabs below it, charts and the forks table in a dock,
// the templates on disk in a second dock tabbed with it,
// the connection banner on top, the VM count in the status bar. Widgets
// only: data comes from AppController.
//
// Keys: a focused console takes every key (TerminalView); the shortcuts here
// apply elsewhere, and VM > Send Key sends what a desktop keeps from a
// terminal. Closing the window leaves VMs running unless the user asks to
// stop them (QuitDialog).
#include "backend/protocol_types.h"
#include "backend/requests.h"
#include "window/sandbox.h"

#include <QFileDialog>
#include <QMainWindow>
#include <QPointer>

class QAction;
class QDockWidget;
class QLabel;
class QSplitter;
class QTabWidget;
class QTableView;
class QTreeView;

namespace hf::ui {

class AppController;
class BenchmarkCharts;
class ConnectionBanner;
class ConsoleTabs;
class CowChart;
class CpuChart;
class ForkLatencyChart;
class MetricsChart;
class PlaceholderLabel;
class QuitDialog;
class TemplatesPanel;
class VmTreeSortModel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(AppController* controller, QWidget* parent = nullptr);
    ~MainWindow() override;

    // The actions, named so tests and scripts find them: "boot", "fork",
    // "template", "saveTemplate", "pause", "resume", "stop", "forceOff", "console", "copyPty", "saveDisk",
    // "sendKey" (its menu: "sendCtrlC", "sendCtrlAltDel", ...), "exportChart",
    // "exportChartPng", ..., "openBenchmark", "showCharts", "showTemplates", "resetLayout", "documentation",
    // "shortcuts", "quit"; the Templates list's "startClone", "deleteTemplate", "refreshTemplates".
    QAction* action(const QString& name) const;
    QTreeView* treeView() const { return m_tree; }
    ConsoleTabs* consoles() const { return m_consoles; }
    ForkLatencyChart* latencyChart() const { return m_latencyChart; }
    CowChart* cowChart() const { return m_cowChart; }
    CpuChart* cpuChart() const { return m_cpuChart; }
    BenchmarkCharts* benchmarkCharts() const { return m_benchmarkCharts; }
    ConnectionBanner* banner() const { return m_banner; }
    TemplatesPanel* templatesPanel() const { return m_templates; }
    QTabWidget* chartTabs() const { return m_chartTabs; }
    const Sandbox& sandbox() const { return m_sandbox; }

    QList<VmId> selectedVms() const;
    void selectVm(VmId vm);
    // Boots the default guest (named "ref") as soon as the daemon is
    // connected and runs no VM, and opens its console: `hyperfork --boot-default`.
    // Not without KVM: the banner says what to do instead.
    void bootDefaultGuestWhenIdle();
    // Forks `vm` with the dialog's defaults, no dialog (tests, scripting).
    void forkSelected(int count, const QString& prefix);
    // Keeps `vm` paused as a template with `spares` warm spares (vm.template);
    // the answer goes to the status bar, or an error box.
    void keepAsTemplate(const TemplateRequest& request);
    // Writes a VM to a template on disk (vm.save): a progress window from
    // vm.save_progress, then the status bar and the Templates list, or an
    // error box. The VM is paused while it saves.
    void saveAsTemplate(const SaveTemplateRequest& request);
    // Asks the daemon to write what `vm` sees on disk `disk` to the new file
    // `path` (vm.disk_save); the answer goes to the status bar, or an error box.
    void saveDisk(VmId vm, int disk, const QString& path);
    // Exports the chart on the visible chart tab; the format from the suffix.
    // In the KVM sandbox only to a folder that reaches the user's disk.
    bool exportCurrentChart(const QString& path, QString* error);
    // Shows the benchmark the summary.csv meant by `path` holds (a runs.csv or
    // a folder: the summary.csv there) on the charts' Benchmark tab; false
    // with the reason, naming file and line, in *error, nothing changed.
    bool openBenchmark(const QString& path, QString* error);
    // The first window's size on a screen with this much room.
    static QSize initialSize(const QSize& available);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createSendKeyActions();
    void createMenusAndToolbar();
    void createTree();
    void createDock();
    void createTemplatesDock();
    void updateActions();
    void updateExportActions();
    void updateVmCount();
    void updateTitle();
    void showContextMenu(const QPoint& pos);
    void onHealthChanged();

    void boot();
    void showBootedVm(const VmInfo& vm);
    void fork();
    void sendFork(const ForkRequest& request);
    void keepSelectedAsTemplate();
    void saveSelectedAsTemplate();
    void pauseSelected();
    void resumeSelected();
    void stopSelected(bool force);
    void openConsoleOfSelected();
    void copyPtyPath();
    void saveDiskOfSelected();
    void exportChart(const QString& format);
    void exportShownChart();
    void exportLatencyCsv();
    void chooseBenchmark();
    // The shown chart tab: one of the MetricsCharts, or null for the latency chart and table.
    MetricsChart* shownMetricsChart() const;
    QString chooseSaveFile(const QString& title, const QString& suggested, const QString& filter,
                           QFileDialog::Options options = {});
    // Why `path` must not be written here (in the sandbox, outside the
    // folders that reach the user's disk); empty when it may.
    QString sandboxRefusal(const QString& path) const;
    void showError(const QString& text);
    void resetLayout();
    void restoreSettings();
    void saveSettings() const;

    AppController* m_controller;
    Sandbox m_sandbox;
    VmTreeSortModel* m_sorted;
    QTreeView* m_tree;
    PlaceholderLabel* m_treeHint = nullptr;
    ConsoleTabs* m_consoles;
    ConnectionBanner* m_banner;
    QLabel* m_vmCount;
    QTabWidget* m_chartTabs = nullptr;
    ForkLatencyChart* m_latencyChart = nullptr;
    CowChart* m_cowChart = nullptr;
    CpuChart* m_cpuChart = nullptr;
    BenchmarkCharts* m_benchmarkCharts = nullptr;
    QTableView* m_latencyTable = nullptr;
    QWidget* m_forksPage = nullptr;  // the table and its legend
    QDockWidget* m_dock = nullptr;
    TemplatesPanel* m_templates = nullptr;
    QDockWidget* m_templatesDock = nullptr;
    QSplitter* m_splitter = nullptr;
    QHash<QString, QAction*> m_actions;
    QByteArray m_defaultState;    // the dock and toolbar as first laid out: Reset Layout
    QByteArray m_defaultHeader;   // the tree's columns as first laid out
    QPointer<QuitDialog> m_quitDialog;
    bool m_closeDecided = false;  // the user answered the quit question
};

}  // namespace hf::ui
