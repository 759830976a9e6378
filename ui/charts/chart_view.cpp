#include "charts/chart_view.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QBuffer>
#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QPainter>
#include <QSaveFile>
#include <QStackedBarSeries>
#include <QSvgGenerator>
#include <QValueAxis>
#include <QVBoxLayout>

namespace hf::ui {

struct ChartView::Impl {
    QChart* chart = nullptr;
    QChartView* view = nullptr;
    QValueAxis* x = nullptr;
    QValueAxis* y = nullptr;
    QBarCategoryAxis* categories = nullptr;
    QList<QLineSeries*> lines;
    QStackedBarSeries* bars = nullptr;
    QString xTitle;
    QString yTitle;

    void rescaleLines()
    {
        double minX = 0, maxX = 1, maxY = 1;
        bool any = false;
        for (QLineSeries* s : lines) {
            const QList<QPointF> points = s->points();
            for (const QPointF& p : points) {
                if (!any) minX = maxX = p.x();
                any = true;
                minX = std::min(minX, p.x());
                maxX = std::max(maxX, p.x());
                maxY = std::max(maxY, p.y());
            }
        }
        if (maxX <= minX) maxX = minX + 1;
        x->setRange(minX, maxX);
        y->setRange(0, maxY * 1.1);
        y->applyNiceNumbers();
    }
};

ChartView::ChartView(QWidget* parent) : QWidget(parent), d(new Impl)
{
    d->chart = new QChart;
    d->chart->legend()->setAlignment(Qt::AlignBottom);
    d->chart->setAnimationOptions(QChart::NoAnimation);  // hundreds of updates: no animation stutter
    d->chart->setMargins(QMargins(4, 4, 4, 4));
    d->view = new QChartView(d->chart, this);  // takes ownership of the chart
    d->view->setRenderHint(QPainter::Antialiasing);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->view);
    clear();
}

ChartView::~ChartView() { delete d; }

void ChartView::setTitle(const QString& title) { d->chart->setTitle(title); }

void ChartView::setAxisTitles(const QString& x, const QString& y)
{
    d->xTitle = x;
    d->yTitle = y;
    if (d->x) d->x->setTitleText(x);
    if (d->categories) d->categories->setTitleText(x);
    if (d->y) d->y->setTitleText(y);
}

void ChartView::clear()
{
    d->chart->removeAllSeries();
    for (QAbstractAxis* axis : d->chart->axes()) {
        d->chart->removeAxis(axis);
        delete axis;
    }
    d->lines.clear();
    d->bars = nullptr;
    d->categories = nullptr;
    d->x = new QValueAxis;
    d->y = new QValueAxis;
    d->x->setTitleText(d->xTitle);
    d->y->setTitleText(d->yTitle);
    d->y->setLabelFormat("%.0f");
    d->chart->addAxis(d->x, Qt::AlignBottom);
    d->chart->addAxis(d->y, Qt::AlignLeft);
}

int ChartView::addLineSeries(const QString& name, const QColor& color)
{
    if (d->bars) clear();
    auto* series = new QLineSeries;
    series->setName(name);
    QPen pen(color);
    pen.setWidthF(2);
    series->setPen(pen);
    d->chart->addSeries(series);
    series->attachAxis(d->x);
    series->attachAxis(d->y);
    d->lines.append(series);
    return static_cast<int>(d->lines.size()) - 1;
}

void ChartView::setLinePoints(int series, const QList<QPointF>& points)
{
    if (series < 0 || series >= d->lines.size()) return;
    d->lines[series]->replace(points);  // one signal for all points
    d->rescaleLines();
}

int ChartView::lineSeriesCount() const { return static_cast<int>(d->lines.size()); }

int ChartView::pointCount(int series) const
{
    return series >= 0 && series < d->lines.size() ? static_cast<int>(d->lines[series]->count()) : 0;
}

void ChartView::setStackedBars(const QStringList& categories, const QList<BarSet>& sets)
{
    d->chart->removeAllSeries();
    for (QAbstractAxis* axis : d->chart->axes()) {
        d->chart->removeAxis(axis);
        delete axis;
    }
    d->lines.clear();
    d->x = nullptr;
    d->bars = new QStackedBarSeries;
    double maxTotal = 1;
    QList<double> totals(categories.size(), 0.0);
    for (const BarSet& set : sets) {
        auto* bar = new QBarSet(set.name);
        bar->setColor(set.color);
        bar->setBorderColor(set.color.darker(120));
        for (qsizetype i = 0; i < categories.size(); ++i) {
            const double v = set.values.value(i, 0.0);
            bar->append(v);
            totals[i] += v;
        }
        d->bars->append(bar);
    }
    for (double t : totals) maxTotal = std::max(maxTotal, t);
    d->chart->addSeries(d->bars);
    d->categories = new QBarCategoryAxis;
    d->categories->append(categories);
    d->categories->setTitleText(d->xTitle);
    d->categories->setLabelsAngle(categories.size() > 12 ? -60 : 0);
    d->y = new QValueAxis;
    d->y->setTitleText(d->yTitle);
    d->y->setRange(0, maxTotal * 1.1);
    d->y->applyNiceNumbers();
    d->chart->addAxis(d->categories, Qt::AlignBottom);
    d->chart->addAxis(d->y, Qt::AlignLeft);
    d->bars->attachAxis(d->categories);
    d->bars->attachAxis(d->y);
}

int ChartView::barCategoryCount() const { return d->categories ? static_cast<int>(d->categories->count()) : 0; }

// Draws the chart laid out at `size` (not scaled from the widget's size, which
// may be tiny or never shown), then puts its geometry back.
static void renderAt(QChart* chart, QPainter* painter, const QSize& size)
{
    const QRectF old = chart->geometry();
    chart->setGeometry(QRectF(QPointF(0, 0), size));
    chart->scene()->render(painter, QRectF(QPointF(0, 0), size), chart->sceneBoundingRect());
    chart->setGeometry(old);
}

QImage ChartView::renderImage(const QSize& size) const
{
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    renderAt(d->chart, &painter, size);
    return image;
}

bool ChartView::exportPng(const QString& path, QString* error, const QSize& size) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    if (!renderImage(size).save(&file, "PNG") || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool ChartView::exportSvg(const QString& path, QString* error, const QSize& size) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    QBuffer buffer;  // QSvgGenerator writes on end(); collect, then write through QSaveFile
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setTitle(d->chart->title());
    svg.setDescription(QStringLiteral("HyperFork chart"));
    {
        QPainter painter(&svg);
        renderAt(d->chart, &painter, size);
    }
    if (file.write(buffer.data()) != buffer.size() || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

}  // namespace hf::ui
