#include "charts/benchmark_charts.h"

#include "backend/display_text.h"
#include "charts/chart_view.h"
#include "charts/csv_table_model.h"

#include <QBuffer>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QHeaderView>
#include <QImage>
#include <QLabel>
#include <QLocale>
#include <QMimeData>
#include <QPainter>
#include <QSaveFile>
#include <QSplitter>
#include <QSvgGenerator>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

namespace hf::ui {

namespace {

using Kind = BenchmarkScheme::Kind;

struct KindStyle {
    Kind kind;
    const char* name;
    QColor color;
};

// The bars' colours say what kind of start each scheme is; the legend names them.
const KindStyle kindStyles[] = {
    {Kind::Boot, QT_TRANSLATE_NOOP("hf::ui::BenchmarkCharts", "boot"), QColor("#9e9e9e")},
    {Kind::Fork, QT_TRANSLATE_NOOP("hf::ui::BenchmarkCharts", "fork"), QColor("#4e79a7")},
    {Kind::WarmSpares, QT_TRANSLATE_NOOP("hf::ui::BenchmarkCharts", "warm spares"), QColor("#b07aa1")},
    {Kind::Other, QT_TRANSLATE_NOOP("hf::ui::BenchmarkCharts", "other"), QColor("#59a14f")},
};

// Longer subtitles would be cut by the chart's width; the page's label has them all.
constexpr qsizetype maxSubtitle = 140;

// One stacked set per kind present, each holding only its schemes' values:
// one bar per scheme, coloured by kind.
QList<ChartView::BarSet> setsByKind(const QList<BenchmarkScheme>& schemes, double (*value)(const BenchmarkScheme&))
{
    QList<ChartView::BarSet> sets;
    for (const KindStyle& style : kindStyles) {
        ChartView::BarSet set{BenchmarkCharts::tr(style.name), style.color, {}};
        bool any = false;
        for (const BenchmarkScheme& s : schemes) {
            const bool mine = s.kind() == style.kind;
            set.values << (mine ? value(s) : 0.0);
            any = any || mine;
        }
        if (any) sets << set;
    }
    return sets;
}

bool fail(QString* error, const QString& path, const QString& why)
{
    if (error) *error = BenchmarkCharts::tr("cannot write %1: %2").arg(path, why);
    return false;
}

}  // namespace

BenchmarkCharts::BenchmarkCharts(QWidget* parent)
    : QWidget(parent),
      m_source(new QLabel(this)),
      m_cpu(new ChartView(this)),
      m_time(new ChartView(this)),
      m_tables(new QTabWidget(this)),
      m_summaryView(new QTableView(this)),
      m_runsView(new QTableView(this)),
      m_summaryModel(new CsvTableModel(this)),
      m_runsModel(new CsvTableModel(this)),
      m_splitter(new QSplitter(Qt::Vertical, this))
{
    setObjectName("benchmarkCharts");
    setAcceptDrops(true);
    m_source->setObjectName("benchmarkSource");
    m_source->setWordWrap(true);
    m_source->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_source->setContentsMargins(6, 4, 6, 2);
    m_cpu->setObjectName("benchmarkCpuChart");
    m_time->setObjectName("benchmarkTimeChart");
    m_cpu->setAxisTitles({}, tr("s"));  // the categories name the schemes: no room for "scheme"
    m_time->setAxisTitles({}, tr("ms"));
    for (auto [view, model, name] : {std::tuple{m_summaryView, m_summaryModel, "benchmarkSummaryTable"},
                                     std::tuple{m_runsView, m_runsModel, "benchmarkRunsTable"}}) {
        view->setObjectName(name);
        view->setModel(model);
        view->verticalHeader()->hide();
        view->setAlternatingRowColors(true);
        view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
        view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    }
    m_tables->setObjectName("benchmarkTables");
    m_tables->addTab(m_summaryView, tr("Summary"));
    m_tables->addTab(m_runsView, tr("Runs"));
    m_splitter->addWidget(m_cpu);
    m_splitter->addWidget(m_time);
    m_splitter->addWidget(m_tables);
    // The charts first; the tables get what is left (scaled to the page).
    m_splitter->setSizes({400, 400, 220});
    m_splitter->setChildrenCollapsible(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_source);
    layout->addWidget(m_splitter, 1);
    draw();
}

bool BenchmarkCharts::open(const QString& path, QString* error)
{
    std::optional<Benchmark> b = BenchmarkCsv::load(path, error);
    if (!b) return false;
    setBenchmark(*b);
    Q_EMIT opened(b->summary.path);
    return true;
}

void BenchmarkCharts::setBenchmark(const Benchmark& benchmark)
{
    m_benchmark = benchmark;
    draw();
}

QString BenchmarkCharts::savedText(double pct)
{
    if (!std::isfinite(pct)) return {};
    // A real minus sign, and a plus when a scheme cost more than boot.
    const QString number = QLocale().toString(std::abs(pct), 'f', 1);
    return pct >= 0 ? tr("\u2212%1% vs boot").arg(number) : tr("+%1% vs boot").arg(number);
}

void BenchmarkCharts::draw()
{
    m_cpu->setTitle(tr("Host CPU time of all VMs (paper's Figure 4)"));
    m_time->setTitle(tr("Mean benchmark time, 95% confidence interval (paper's Figure 5)"));
    if (!m_benchmark) {
        m_source->setText(tr("No benchmark open."));
        m_source->setToolTip({});
        m_cpu->clear();
        m_time->clear();
        m_cpu->setSubtitle({});
        m_time->setSubtitle({});
        m_cpu->setPlaceholderText(tr("Open a benchmark's summary.csv (File > Open Benchmark…, or drop it here): "
                                     "bench/python-fanout writes one per run (docs/benchmarks.md)."));
        m_time->setPlaceholderText({});
        m_summaryModel->setTable({});
        m_runsModel->setTable({});
        m_time->hide();
        m_tables->hide();
        return;
    }
    const Benchmark& b = *m_benchmark;
    m_time->show();
    m_tables->show();
    m_cpu->setPlaceholderText({});

    // What was measured: the file and its metadata ("n=8", "nested=yes").
    const QStringList metadata = b.metadata();
    QString subtitle = QFileInfo(b.summary.path).fileName();
    if (const int failed = b.failedRuns(); failed > 0)
        subtitle += tr(" \u00b7 %1 failed").arg(countText(failed, tr("run"), tr("runs")));
    for (const QString& m : metadata) subtitle += QStringLiteral(" \u00b7 ") + m;
    if (subtitle.size() > maxSubtitle) subtitle = subtitle.left(maxSubtitle - 1) + QChar(0x2026);
    m_cpu->setSubtitle(subtitle);
    m_time->setSubtitle(subtitle);
    m_source->setText(tr("<b>%1</b> — %2")
                          .arg(b.summary.path.toHtmlEscaped(),
                               metadata.isEmpty() ? tr("no metadata") : metadata.join(QStringLiteral(" \u00b7 ")).toHtmlEscaped()));
    QString tip = b.summary.path;
    if (b.runsTable) tip += QLatin1Char('\n') + b.runsTable->path;
    for (const QString& m : metadata) tip += QStringLiteral("\n# ") + m;
    m_source->setToolTip(tip);

    QStringList categories;
    for (const BenchmarkScheme& s : b.schemes) categories << s.label;

    // Figure 4: what each scheme cost the host, and what forking saved.
    m_cpu->setStackedBars(categories, setsByKind(b.schemes, [](const BenchmarkScheme& s) { return s.hostCpuS; }));
    QStringList saved;
    for (const BenchmarkScheme& s : b.schemes) saved << savedText(b.cpuSavedPct(s));
    m_cpu->setBarLabels(saved);

    // Figure 5: that forking does not slow the function down.
    m_time->setStackedBars(categories, setsByKind(b.schemes, [](const BenchmarkScheme& s) { return s.benchMeanMs; }));
    QList<QPair<double, double>> ci;
    for (const BenchmarkScheme& s : b.schemes) ci << qMakePair(s.benchMeanMs - s.benchCi95Ms, s.benchMeanMs + s.benchCi95Ms);
    m_time->setErrorBars(ci, tr("95% CI"));
    // The paper's table beside Figure 5: each mean relative to boot's.
    QStringList relative;
    const BenchmarkScheme* boot = b.boot();
    for (const BenchmarkScheme& s : b.schemes) {
        const double pct = boot && boot->benchMeanMs > 0 ? 100.0 * s.benchMeanMs / boot->benchMeanMs : noValue;
        relative << (std::isfinite(pct) ? tr("%1%").arg(QLocale().toString(pct, 'f', 1)) : QString());
    }
    m_time->setBarLabels(relative);

    m_summaryModel->setTable(b.summary);
    m_runsModel->setTable(b.runsTable.value_or(CsvTable{}));
    m_tables->setTabEnabled(1, b.runsTable.has_value());
    m_tables->setTabToolTip(1, b.runsTable ? b.runsTable->path : tr("No runs.csv next to summary.csv"));
}

void BenchmarkCharts::paintBoth(QPainter* painter, const QSize& size) const
{
    const QSize half(size.width(), size.height() / 2);
    m_cpu->paintChart(painter, half);
    painter->save();
    painter->translate(0, half.height());
    m_time->paintChart(painter, half);
    painter->restore();
}

bool BenchmarkCharts::exportPng(const QString& path, QString* error, const QSize& size) const
{
    if (!m_benchmark) return fail(error, path, tr("no benchmark is open"));
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    // As ChartView::renderImage: paint at the DPI the layout measured text with.
    image.setDotsPerMeterX(qRound(m_cpu->logicalDpiX() / 0.0254));
    image.setDotsPerMeterY(qRound(m_cpu->logicalDpiY() / 0.0254));
    image.fill(Qt::white);
    {
        QPainter painter(&image);
        paintBoth(&painter, size);
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return fail(error, path, file.errorString());
    if (!image.save(&file, "PNG")) return fail(error, path, tr("PNG encoding failed"));
    if (!file.commit()) return fail(error, path, file.errorString());
    return true;
}

bool BenchmarkCharts::exportSvg(const QString& path, QString* error, const QSize& size) const
{
    if (!m_benchmark) return fail(error, path, tr("no benchmark is open"));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return fail(error, path, file.errorString());
    QBuffer buffer;  // as ChartView::exportSvg: collect, then write through QSaveFile
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setResolution(m_cpu->logicalDpiY());
    svg.setTitle(tr("HyperFork benchmark: %1").arg(m_benchmark->summary.path));
    svg.setDescription(m_benchmark->metadata().join('\n'));
    {
        QPainter painter(&svg);
        painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);
        paintBoth(&painter, size);
    }
    if (file.write(buffer.data()) != buffer.size() || !file.commit()) return fail(error, path, file.errorString());
    return true;
}

bool BenchmarkCharts::writeCsv(QIODevice* out, QString* error) const
{
    if (!m_benchmark) {
        if (error) *error = tr("no benchmark is open");
        return false;
    }
    return m_benchmark->writeCsv(out, error);
}

void BenchmarkCharts::dragEnterEvent(QDragEnterEvent* event)
{
    // One local file or folder; what it holds is checked on the drop.
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.first().isLocalFile()) event->acceptProposedAction();
}

void BenchmarkCharts::dropEvent(QDropEvent* event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.first().isLocalFile()) return;
    event->acceptProposedAction();
    QString error;
    if (!open(urls.first().toLocalFile(), &error)) Q_EMIT openFailed(error);
}

}  // namespace hf::ui
