// hyperfork: the desktop app. Everything but option parsing lives in ui/.
#include "window/app_controller.h"
#include "window/main_window.h"
#include "window/resources.h"
#include "window/sandbox.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QMessageBox>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("HyperFork");
    QApplication::setApplicationName("hyperfork");
    QApplication::setApplicationVersion(HYPERFORK_VERSION);
    QApplication::setDesktopFileName("hyperfork");
    hf::ui::initResources();
    QApplication::setWindowIcon(QIcon(":/icons/hyperfork.svg"));

    QCommandLineParser parser;
    parser.setApplicationDescription("Flash-clone running KVM virtual machines: the HyperFork desktop app.");
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption socket("socket", "hyperforkd's socket (default: $XDG_RUNTIME_DIR/hyperfork/hyperforkd.sock).", "path");
    const QCommandLineOption noStart("no-start-daemon", "Do not start hyperforkd when none is running.");
    const QCommandLineOption daemon("daemon", "The hyperforkd to start (default: next to this program, or on PATH).", "path");
    const QCommandLineOption bootDefault("boot-default", "Boot the default guest once connected, if no VM runs.");
    const QCommandLineOption hz("metrics-hz", "Metrics sample rate asked of the daemon (0.1 to 20, default 2).", "hz", "2");
    const QCommandLineOption sandboxEnded("sandbox-ended",
                                          "Only say that the KVM sandbox running HyperFork ended with STATUS, "
                                          "and that its VMs are gone (scripts/run uses it).",
                                          "status");
    const QCommandLineOption benchmark("benchmark",
                                       "Open a benchmark's summary.csv (or its runs.csv, or their folder) on the "
                                       "charts' Benchmark tab.",
                                       "path");
    parser.addOptions({socket, noStart, daemon, bootDefault, hz, benchmark, sandboxEnded});
    parser.process(app);

    if (parser.isSet(sandboxEnded)) {
        QMessageBox box(QMessageBox::Critical, QObject::tr("HyperFork ended"),
                        hf::ui::sandboxEndedText(parser.value(sandboxEnded).toInt()), QMessageBox::Ok);
        box.exec();
        return 0;
    }

    bool hzOk = false;
    const double metricsHz = parser.value(hz).toDouble(&hzOk);
    if (!hzOk || metricsHz < 0.1 || metricsHz > 20) {
        qCritical("hyperfork: --metrics-hz takes a rate from 0.1 to 20");
        return 2;
    }

    hf::ui::AppController::Options options;
    options.socketPath = parser.value(socket);
    options.startDaemon = !parser.isSet(noStart);
    options.daemonProgram = parser.value(daemon);
    options.metricsHz = metricsHz;
    if (!options.socketPath.isEmpty()) {
        // A daemon the app starts must listen where the app will look.
        options.daemonArguments = {"--runtime-dir", QFileInfo(options.socketPath).absolutePath()};
    }
    hf::ui::AppController controller(options);
    hf::ui::MainWindow window(&controller);
    if (parser.isSet(bootDefault)) window.bootDefaultGuestWhenIdle();
    window.show();
    controller.start();
    if (parser.isSet(benchmark)) {
        QString error;
        if (!window.openBenchmark(parser.value(benchmark), &error)) {
            // Said in the window, which carries on: the VMs do not depend on it.
            auto* box = new QMessageBox(QMessageBox::Warning, QObject::tr("HyperFork"), error, QMessageBox::Ok, &window);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->show();
        }
    }
    return QApplication::exec();
}
