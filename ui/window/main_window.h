#pragma once
// The HyperFork window: the VM tree (context menu, toolbar, shortcuts),
// console tabs below it, charts and the fork-latency table in a dock, the
// connection banner on top. Widgets only: data comes from AppController.
#include "backend/protocol_types.h"
#include "backend/requests.h"

#include <QMainWindow>

class QAction;
class QDockWidget;
class QSplitter;
class QTabWidget;
class QTableView;
class QTreeView;

namespace hf::ui {

class AppController;
class ConnectionBanner;
class ConsoleTabs;
class CowChart;
class ForkLatencyChart;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(AppController* controller, QWidget* parent = nullptr);

    // The actions, named so tests and scripts find them: "boot", "fork",
    // "pause", "resume", "stop", "console", "copyPty", "exportChartPng", ...
    QAction* action(const QString& name) const;
    QTreeView* treeView() const { return m_tree; }
    ConsoleTabs* consoles() const { return m_consoles; }
    ForkLatencyChart* latencyChart() const { return m_latencyChart; }
    CowChart* cowChart() const { return m_cowChart; }
    ConnectionBanner* banner() const { return m_banner; }
    QTabWidget* chartTabs() const { return m_chartTabs; }

    QList<VmId> selectedVms() const;
    void selectVm(VmId vm);
    // Boots the default guest (named "ref") as soon as the daemon is
    // connected and runs no VM, and opens its console: `hyperfork --boot-default`.
    void bootDefaultGuestWhenIdle();
    // Forks `vm` with the dialog's defaults, no dialog (tests, scripting).
    void forkSelected(int count, const QString& prefix);
    // Exports the chart on the visible chart tab; the format from the suffix.
    bool exportCurrentChart(const QString& path, QString* error);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createMenusAndToolbar();
    void createDock();
    void updateActions();
    void showContextMenu(const QPoint& pos);
    void onHealthChanged();

    void boot();
    void showBootedVm(const VmInfo& vm);
    void fork();
    void sendFork(const ForkRequest& request);
    bool latencyChartShown() const;
    void pauseSelected();
    void resumeSelected();
    void stopSelected();
    void openConsoleOfSelected();
    void copyPtyPath();
    void exportChart(const QString& format);
    void exportLatencyCsv();
    QString chooseSaveFile(const QString& title, const QString& suggested, const QString& filter);
    void showError(const QString& text);
    void restoreSettings();
    void saveSettings() const;

    AppController* m_controller;
    QTreeView* m_tree;
    ConsoleTabs* m_consoles;
    ConnectionBanner* m_banner;
    QTabWidget* m_chartTabs = nullptr;
    ForkLatencyChart* m_latencyChart = nullptr;
    CowChart* m_cowChart = nullptr;
    QTableView* m_latencyTable = nullptr;
    QDockWidget* m_dock = nullptr;
    QSplitter* m_splitter = nullptr;
    QHash<QString, QAction*> m_actions;
};

}  // namespace hf::ui
