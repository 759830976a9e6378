#include "charts/chart_view.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QBuffer>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QFontMetricsF>
#include <QGraphicsTextItem>
#include <QTextDocument>
#include <QTextOption>
#include <QLegendMarker>
#include <QLabel>
#include <QLineSeries>
#include <QPainter>
#include <QSaveFile>
#include <QSet>
#include <QStackedBarSeries>
#include <QSvgGenerator>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hf::ui {

namespace {

// A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about
// `ticks` intervals over `span`.
double niceStep(double span, int ticks)
{
    if (!(span > 0) || !std::isfinite(span)) return 1;
    const double raw = span / ticks;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double n = raw / magnitude;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * magnitude;
}

// Just enough decimals to tell the ticks apart: 0 for 500, 1 for 2.5.
int decimalsFor(double step)
{
    for (int decimals = 0; decimals < 6; ++decimals) {
        const double scaled = step * std::pow(10.0, decimals);
        if (std::abs(scaled - std::round(scaled)) < 1e-6 * scaled) return decimals;
    }
    return 6;
}

// The range, with ticks at multiples of a round step. Qt Charts lays the
// axis out after each setter, creating an item per tick: a range of millions
// with the last step of 0.2 would ask for 10^8 of them and hang. So the step
// grows before the range does and shrinks after, and ticks turn dynamic only
// once a step is set.
void setRangeAndStep(QValueAxis* axis, double lo, double hi, double step)
{
    axis->setLabelFormat(QStringLiteral("%.%1f").arg(decimalsFor(step)));
    if (axis->tickType() != QValueAxis::TicksDynamic) {
        axis->setRange(lo, hi);
        axis->setMinorTickCount(0);
        axis->setTickAnchor(0);
        axis->setTickInterval(step);
        axis->setTickType(QValueAxis::TicksDynamic);
    } else if (step >= axis->tickInterval()) {
        axis->setTickInterval(step);
        axis->setRange(lo, hi);
    } else {
        axis->setRange(lo, hi);
        axis->setTickInterval(step);
    }
}

// A value axis from 0 (or below, for negative data) up to a round number
// just above the data.
void fitValueAxis(QValueAxis* axis, double lo, double hi)
{
    lo = std::min(0.0, lo);
    if (!(hi > lo)) hi = lo + 1;
    const double step = niceStep(hi - lo, 5);
    setRangeAndStep(axis, std::floor(lo / step) * step, std::ceil(hi / step) * step, step);
}

// Qt Charts merges equal category names; keep one bar per category.
QStringList uniqueCategories(const QStringList& categories)
{
    QStringList out;
    out.reserve(categories.size());
    QSet<QString> seen;
    for (const QString& c : categories) {
        QString name = c;
        for (int n = 2; seen.contains(name); ++n) name = QStringLiteral("%1 (%2)").arg(c).arg(n);
        seen.insert(name);
        out.append(name);
    }
    return out;
}

}  // namespace

struct ChartView::Impl {
    struct Line {
        QLineSeries* series = nullptr;
        bool empty = true;
        double minX = 0, maxX = 0, minY = 0, maxY = 0;
    };

    QChart* chart = nullptr;
    QChartView* view = nullptr;
    XAxis xKind = XAxis::Numeric;
    int maxPoints = 0;
    QString xTitle;
    QString yTitle;
    // Line mode: x is a QValueAxis or QDateTimeAxis. Bar mode: categories.
    QAbstractAxis* x = nullptr;
    QValueAxis* y = nullptr;
    QList<Line> lines;
    QStackedBarSeries* bars = nullptr;
    QBarCategoryAxis* categories = nullptr;
    // Markers: one series, however many markers: down through the plot at
    // one marker, along below it (clipped, unseen) to the next, up through
    // the plot there, along above it to the next, and so on.
    QLineSeries* markers = nullptr;
    QList<double> markerXs;
    QLabel* placeholder = nullptr;
    QString title;
    QString subtitle;
    // Bar mode: each stack's top, the error bars (one whisker series per
    // category) and the texts above the bars, placed in scene coordinates.
    QStringList categoryNames;  // as given (made unique); the axis may show them wrapped
    QList<double> barTops;
    QList<QPair<double, double>> errorRanges;
    QList<QLineSeries*> errorSeries;
    QStringList barLabelTexts;
    QList<QGraphicsTextItem*> barLabelItems;

    void applyTitle()
    {
        if (subtitle.isEmpty()) {
            chart->setTitle(title);
            return;
        }
        // The chart title is rich text: a second line, smaller.
        chart->setTitle(QStringLiteral("%1<br><small>%2</small>").arg(title.toHtmlEscaped(), subtitle.toHtmlEscaped()));
    }

    void removeBarLabels()
    {
        qDeleteAll(barLabelItems);
        barLabelItems.clear();
        barLabelTexts.clear();
    }

    void removeAll()
    {
        chart->removeAllSeries();  // deletes them
        for (QAbstractAxis* axis : chart->axes()) {
            chart->removeAxis(axis);
            delete axis;
        }
        lines.clear();
        markers = nullptr;
        errorSeries.clear();
        errorRanges.clear();
        barTops.clear();
        categoryNames.clear();
        removeBarLabels();
        bars = nullptr;
        categories = nullptr;
        x = nullptr;
        y = nullptr;
    }

    QAbstractAxis* makeLineX() const
    {
        QAbstractAxis* axis = nullptr;
        if (xKind == XAxis::DateTime) {
            auto* time = new QDateTimeAxis;
            time->setTickCount(6);
            axis = time;
        } else {
            axis = new QValueAxis;
        }
        axis->setTitleText(xTitle);
        return axis;
    }

    QValueAxis* makeY() const
    {
        auto* axis = new QValueAxis;
        axis->setTitleText(yTitle);
        return axis;
    }

    void makeLineAxes()
    {
        x = makeLineX();
        y = makeY();
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
    }

    void setLine(Line& line, QList<QPointF> points)
    {
        // Non-finite values would break the ranges and the drawing.
        points.removeIf([](const QPointF& p) { return !std::isfinite(p.x()) || !std::isfinite(p.y()); });
        if (maxPoints > 0 && points.size() > maxPoints) points.remove(0, points.size() - maxPoints);
        line.empty = points.isEmpty();
        if (!line.empty) {
            line.minX = line.maxX = points.front().x();
            line.minY = line.maxY = points.front().y();
            for (const QPointF& p : points) {
                line.minX = std::min(line.minX, p.x());
                line.maxX = std::max(line.maxX, p.x());
                line.minY = std::min(line.minY, p.y());
                line.maxY = std::max(line.maxY, p.y());
            }
        }
        line.series->replace(points);  // one pointsReplaced, one repaint
    }

    // The ranges come from each series' cached bounds: no pass over the points.
    void rescaleLines()
    {
        double minX = 0, maxX = 0, minY = 0, maxY = 0;
        bool any = false;
        for (const Line& l : lines) {
            if (l.empty) continue;
            minX = any ? std::min(minX, l.minX) : l.minX;
            maxX = any ? std::max(maxX, l.maxX) : l.maxX;
            minY = any ? std::min(minY, l.minY) : l.minY;
            maxY = any ? std::max(maxY, l.maxY) : l.maxY;
            any = true;
        }
        if (auto* time = qobject_cast<QDateTimeAxis*>(x)) {
            if (!any) minX = maxX = static_cast<double>(QDateTime::currentMSecsSinceEpoch());
            if (maxX <= minX) maxX = minX + 1000;
            time->setFormat(maxX - minX > 86400e3 ? QStringLiteral("MMM d HH:mm") : QStringLiteral("HH:mm:ss"));
            time->setRange(QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(minX)),
                           QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(std::ceil(maxX))));
        } else if (auto* value = qobject_cast<QValueAxis*>(x)) {
            if (maxX <= minX) maxX = minX + 1;
            // Exact: the newest point sits at the right edge.
            setRangeAndStep(value, minX, maxX, niceStep(maxX - minX, 6));
        }
        fitValueAxis(y, minY, maxY);
        placeMarkers(any ? minX : 0, any ? maxX : -1);
    }

    // The markers inside [minX, maxX], spanning the y axis as drawn.
    void placeMarkers(double minX, double maxX)
    {
        if (!markers) return;
        const double span = y->max() - y->min();
        const double above = y->max() + span, below = y->min() - span;
        QList<QPointF> path;
        bool down = true;
        for (double x : markerXs) {
            if (x < minX || x > maxX) continue;
            path << QPointF(x, down ? above : below) << QPointF(x, down ? below : above);
            down = !down;
        }
        markers->replace(path);
    }

    // Horizontal labels when they fit, else wrapped at spaces onto up to
    // three lines when that fits ("fork after / import numpy"), vertical when
    // a line of text fits, none when even that would overlap (many forks in
    // a narrow dock).
    void fitCategoryLabels(double chartWidth)
    {
        if (!categories || categoryNames.isEmpty()) return;
        const QFontMetricsF metrics(categories->labelsFont());
        const double room = (chartWidth - 90) / categoryNames.size() - 6;  // minus the y axis and margins
        double widest = 0;
        for (const QString& c : categoryNames) widest = std::max(widest, metrics.horizontalAdvance(c));
        QStringList shown = categoryNames;
        bool flat = room >= widest;
        if (!flat) {
            QStringList wrapped;
            for (const QString& c : categoryNames) {
                const QStringList lines = wrapWords(c, metrics, room);
                if (lines.isEmpty() || lines.size() > 3) break;
                QStringList escaped;  // the axis draws its labels as rich text
                for (const QString& l : lines) escaped << l.toHtmlEscaped();
                wrapped << escaped.join(QStringLiteral("<br>"));
            }
            flat = wrapped.size() == categoryNames.size();
            if (flat) shown = wrapped;
        }
        if (shown != categories->categories()) categories->setCategories(shown);
        const bool upright = room + 6 >= metrics.height();
        categories->setLabelsAngle(flat ? 0 : -90);
        categories->setLabelsVisible(flat || upright);
    }

    // `text` in lines no wider than `room`, broken at spaces; empty when a
    // word alone is wider.
    static QStringList wrapWords(const QString& text, const QFontMetricsF& metrics, double room)
    {
        QStringList lines;
        for (const QString& word : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
            if (metrics.horizontalAdvance(word) > room) return {};
            const QString longer = lines.isEmpty() ? QString() : lines.last() + QLatin1Char(' ') + word;
            if (!lines.isEmpty() && metrics.horizontalAdvance(longer) <= room)
                lines.last() = longer;
            else
                lines << word;
        }
        return lines;
    }

    // The bars' y axis: the stacks, the error bars, and room above them
    // for the labels.
    void fitBarAxis(double lo)
    {
        double hi = 0;
        for (qsizetype i = 0; i < barTops.size(); ++i) hi = std::max(hi, top(i));
        for (const auto& [low, high] : errorRanges)
            if (std::isfinite(low) && std::isfinite(high)) lo = std::min(lo, low);
        const bool labels = std::any_of(barLabelTexts.begin(), barLabelTexts.end(), [](const QString& t) { return !t.isEmpty(); });
        fitValueAxis(y, lo, labels ? hi * 1.25 : hi);  // two lines of label in a short chart
        placeBarLabels();
    }

    // What a bar's label sits on: the stack or its error bar, whichever is higher.
    double top(qsizetype i) const
    {
        double t = barTops.value(i, 0.0);
        if (i < errorRanges.size() && std::isfinite(errorRanges[i].second)) t = std::max(t, errorRanges[i].second);
        return t;
    }

    // Each label centred over its bar, as wide as its category (wrapped
    // when longer), in the scene as the chart is laid out now.
    void placeBarLabels()
    {
        if (!bars || categoryNames.isEmpty()) return;
        const double width = chart->plotArea().width() / static_cast<double>(categoryNames.size());
        for (qsizetype i = 0; i < barLabelItems.size(); ++i) {
            QGraphicsTextItem* item = barLabelItems[i];
            item->setVisible(width >= 36);  // narrower, a label would be a column of letters
            item->setTextWidth(width);
            const QPointF at = chart->mapToPosition(QPointF(static_cast<double>(i), top(i)), bars);
            item->setPos(at.x() - width / 2, at.y() - item->boundingRect().height());
        }
    }

    // The chart laid out at `size`, drawn, then put back.
    void renderAt(QPainter* painter, const QSize& size)
    {
        const QRectF old = chart->geometry();
        fitCategoryLabels(size.width());
        chart->setGeometry(QRectF(QPointF(0, 0), size));
        placeBarLabels();
        chart->scene()->render(painter, QRectF(QPointF(0, 0), size), chart->sceneBoundingRect());
        chart->setGeometry(old);
        fitCategoryLabels(old.width());
        placeBarLabels();
    }
};

ChartView::ChartView(QWidget* parent) : QWidget(parent), d(std::make_unique<Impl>())
{
    d->chart = new QChart;
    d->chart->legend()->setAlignment(Qt::AlignBottom);
    d->chart->legend()->setShowToolTips(true);  // names elided in a narrow dock
    d->chart->setAnimationOptions(QChart::NoAnimation);  // frequent updates: animation would lag and stutter
    d->chart->setMargins(QMargins(4, 4, 4, 4));
    // Page counts reach millions: group digits ("12,345,678"), in the user's locale.
    QLocale locale;
    locale.setNumberOptions(locale.numberOptions() & ~QLocale::OmitGroupSeparator);
    d->chart->setLocale(locale);
    d->chart->setLocalizeNumbers(true);
    connect(d->chart, &QChart::plotAreaChanged, this, [this] { d->placeBarLabels(); });
    d->view = new QChartView(d->chart, this);  // owns the chart
    d->view->setRenderHint(QPainter::Antialiasing);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(d->view);
    d->makeLineAxes();
    d->rescaleLines();
}

ChartView::~ChartView()
{
    // The chart outlives d (QWidget deletes it later, as a child's child):
    // no signal of it may reach d after this.
    d->chart->disconnect(this);
}

void ChartView::setTitle(const QString& title)
{
    d->title = title;
    d->applyTitle();
}

QString ChartView::title() const { return d->title; }

void ChartView::setSubtitle(const QString& text)
{
    d->subtitle = text;
    d->applyTitle();
}

QString ChartView::subtitle() const { return d->subtitle; }

void ChartView::setAxisTitles(const QString& x, const QString& y)
{
    d->xTitle = x;
    d->yTitle = y;
    if (d->x) d->x->setTitleText(x);
    if (d->categories) d->categories->setTitleText(x);
    if (d->y) d->y->setTitleText(y);
}

void ChartView::setLegendVisible(bool visible) { d->chart->legend()->setVisible(visible); }

void ChartView::setXAxis(XAxis kind)
{
    if (kind == d->xKind) return;
    d->xKind = kind;
    if (d->bars) return;  // applies when line mode comes back
    d->chart->removeAxis(d->x);  // detaches the series
    delete d->x;
    d->x = d->makeLineX();
    d->chart->addAxis(d->x, Qt::AlignBottom);
    for (const Impl::Line& l : d->lines) l.series->attachAxis(d->x);
    if (d->markers) d->markers->attachAxis(d->x);
    d->rescaleLines();
}

ChartView::XAxis ChartView::xAxis() const { return d->xKind; }

void ChartView::setMaxPoints(int max) { d->maxPoints = std::max(0, max); }

void ChartView::clear()
{
    d->removeAll();
    d->makeLineAxes();
    d->rescaleLines();
}

int ChartView::addLineSeries(const QString& name, const QColor& color)
{
    if (d->bars) clear();
    auto* series = new QLineSeries;
    series->setName(name);
    series->setUseOpenGL(false);  // offscreen and export need the raster path
    QPen pen(color);
    pen.setWidthF(2);
    series->setPen(pen);
    d->chart->addSeries(series);
    series->attachAxis(d->x);
    series->attachAxis(d->y);
    d->lines.append({series});
    return static_cast<int>(d->lines.size()) - 1;
}

void ChartView::replacePoints(int series, const QList<QPointF>& points)
{
    if (series < 0 || series >= d->lines.size()) return;
    d->setLine(d->lines[series], points);
    d->rescaleLines();
}

void ChartView::appendPoints(int series, const QList<QPointF>& points)
{
    if (series < 0 || series >= d->lines.size() || points.isEmpty()) return;
    QList<QPointF> all = d->lines[series].series->points();
    all.append(points);
    d->setLine(d->lines[series], std::move(all));
    d->rescaleLines();
}

int ChartView::lineSeriesCount() const { return static_cast<int>(d->lines.size()); }

QString ChartView::lineSeriesName(int series) const
{
    return series >= 0 && series < d->lines.size() ? d->lines[series].series->name() : QString();
}

void ChartView::setMarkers(const QList<double>& xs, const QString& name)
{
    if (d->bars) return;
    d->markerXs = xs;
    if (xs.isEmpty()) {
        if (d->markers) {
            d->chart->removeSeries(d->markers);
            delete d->markers;
            d->markers = nullptr;
        }
        return;
    }
    if (!d->markers) {
        d->markers = new QLineSeries;
        QPen pen(QColor("#9e9e9e"));
        pen.setWidthF(1);
        pen.setStyle(Qt::DashLine);
        d->markers->setPen(pen);
        d->chart->addSeries(d->markers);
        d->markers->attachAxis(d->x);
        d->markers->attachAxis(d->y);
    }
    d->markers->setName(name);
    d->rescaleLines();
}

QList<double> ChartView::markers() const { return d->markers ? d->markerXs : QList<double>(); }

void ChartView::setPlaceholderText(const QString& text)
{
    if (!d->placeholder) {
        d->placeholder = new QLabel(this);
        d->placeholder->setObjectName("placeholder");
        d->placeholder->setAlignment(Qt::AlignCenter);
        d->placeholder->setWordWrap(true);
        d->placeholder->setAttribute(Qt::WA_TransparentForMouseEvents);
        // A box over the empty plot, so the grid does not run through the text.
        d->placeholder->setStyleSheet(QStringLiteral(
            "QLabel { color: #3c4043; background: rgba(255, 255, 255, 235); border: 1px solid #dadce0; "
            "border-radius: 6px; padding: 12px; }"));
    }
    d->placeholder->setText(text);
    d->placeholder->setVisible(!text.isEmpty());
    d->placeholder->raise();
    placePlaceholder();
}

void ChartView::placePlaceholder()
{
    if (!d->placeholder) return;
    // Centred, at most 80 % of the chart's width, as tall as its text needs.
    const int w = std::min(width() * 4 / 5, 460);
    const int h = d->placeholder->heightForWidth(w);
    d->placeholder->setGeometry((width() - w) / 2, (height() - h) / 2, w, h);
}

QString ChartView::placeholderText() const { return d->placeholder ? d->placeholder->text() : QString(); }

int ChartView::pointCount(int series) const
{
    return series >= 0 && series < d->lines.size() ? static_cast<int>(d->lines[series].series->count()) : 0;
}

QList<QPointF> ChartView::points(int series) const
{
    return series >= 0 && series < d->lines.size() ? d->lines[series].series->points() : QList<QPointF>();
}

void ChartView::setStackedBars(const QStringList& categories, const QList<BarSet>& sets)
{
    if (!d->bars) {
        d->removeAll();
        d->bars = new QStackedBarSeries;
        d->chart->addSeries(d->bars);
        d->categories = new QBarCategoryAxis;
        d->categories->setTitleText(d->xTitle);
        d->categories->setTruncateLabels(false);  // fitCategoryLabels turns them instead
        d->y = d->makeY();
        d->chart->addAxis(d->categories, Qt::AlignBottom);
        d->chart->addAxis(d->y, Qt::AlignLeft);
        d->bars->attachAxis(d->categories);
        d->bars->attachAxis(d->y);
        connect(d->bars, &QStackedBarSeries::hovered, this, [this](bool on, int index, QBarSet* set) {
            if (!on) {
                QToolTip::hideText();
                return;
            }
            const QString value = QLocale().toString(set->at(index), 'f', 2);
            QToolTip::showText(QCursor::pos(),
                               QStringLiteral("%1\n%2: %3 %4").arg(d->categoryNames.value(index), set->label(), value, d->yTitle),
                               this);
        });
    }
    const qsizetype count = categories.size();
    // Same sets as last time (the usual refresh): new values in place, so the
    // legend and the axes are not rebuilt.
    QList<QBarSet*> existing = d->bars->barSets();
    bool same = existing.size() == sets.size();
    for (qsizetype i = 0; same && i < sets.size(); ++i)
        same = existing[i]->label() == sets[i].name && existing[i]->color() == sets[i].color;
    if (!same) {
        d->bars->clear();  // deletes the sets
        existing.clear();
        for (const BarSet& set : sets) {
            auto* bar = new QBarSet(set.name);
            bar->setColor(set.color);
            bar->setBorderColor(set.color.darker(120));
            d->bars->append(bar);
            existing.append(bar);
        }
    }
    QList<double> up(count, 0.0), down(count, 0.0);  // stacks: positive up, negative down
    for (qsizetype s = 0; s < sets.size(); ++s) {
        QList<qreal> values(count, 0.0);
        for (qsizetype i = 0; i < count; ++i) {
            const double v = sets[s].values.value(i, 0.0);
            values[i] = std::isfinite(v) ? v : 0.0;
            (values[i] >= 0 ? up : down)[i] += values[i];
        }
        QBarSet* bar = existing[s];
        bar->remove(0, static_cast<int>(bar->count()));
        bar->append(values);
    }
    const QStringList unique = uniqueCategories(categories);
    if (unique != d->categoryNames) {
        // Labels and error bars belonged to the old categories.
        setErrorBars({}, {});
        d->removeBarLabels();
        d->categoryNames = unique;
        d->categories->setCategories(unique);  // fitCategoryLabels may wrap them
    }
    double lo = 0;
    for (qsizetype i = 0; i < count; ++i) lo = std::min(lo, down[i]);
    d->barTops = up;
    d->fitBarAxis(lo);
    d->fitCategoryLabels(d->chart->geometry().width() > 0 ? d->chart->geometry().width() : width());
}

void ChartView::setBarLabels(const QStringList& labels)
{
    d->removeBarLabels();
    if (!d->bars) return;
    d->barLabelTexts = labels.mid(0, d->barTops.size());
    for (const QString& text : std::as_const(d->barLabelTexts)) {
        auto* item = new QGraphicsTextItem(d->chart);  // in the scene: exported with the chart
        item->setPlainText(text);
        item->setDefaultTextColor(QColor("#3c4043"));
        item->document()->setDocumentMargin(1);
        QTextOption centred(Qt::AlignHCenter);
        centred.setWrapMode(QTextOption::WordWrap);
        item->document()->setDefaultTextOption(centred);
        d->barLabelItems << item;
    }
    d->fitBarAxis(d->y->min());
}

QStringList ChartView::barLabels() const { return d->barLabelTexts; }

void ChartView::setErrorBars(const QList<QPair<double, double>>& ranges, const QString& name)
{
    for (QLineSeries* s : std::as_const(d->errorSeries)) {
        d->chart->removeSeries(s);
        delete s;
    }
    d->errorSeries.clear();
    d->errorRanges.clear();
    if (!d->bars) return;
    d->errorRanges = ranges.mid(0, d->barTops.size());
    constexpr double halfWidth = 0.12;  // of a category: a whisker narrower than its bar
    QPen pen(QColor("#202124"));
    pen.setWidthF(1.5);
    for (qsizetype i = 0; i < d->errorRanges.size(); ++i) {
        const auto [lo, hi] = d->errorRanges[i];
        if (!std::isfinite(lo) || !std::isfinite(hi)) continue;
        // One path: the top whisker, back to the middle, down, the bottom whisker.
        const double x = static_cast<double>(i);
        auto* s = new QLineSeries;
        s->setPen(pen);
        s->setName(name);
        s->append({{x - halfWidth, hi}, {x + halfWidth, hi}, {x, hi}, {x, lo}, {x - halfWidth, lo}, {x + halfWidth, lo}});
        d->chart->addSeries(s);
        s->attachAxis(d->categories);
        s->attachAxis(d->y);
        // One legend entry for all of them.
        if (!d->errorSeries.isEmpty())
            for (QLegendMarker* marker : d->chart->legend()->markers(s)) marker->setVisible(false);
        d->errorSeries << s;
    }
    d->fitBarAxis(d->y->min());
}

QList<QPair<double, double>> ChartView::errorBars() const { return d->errorRanges; }

int ChartView::barCategoryCount() const { return static_cast<int>(d->categoryNames.size()); }

QStringList ChartView::barCategories() const { return d->categoryNames; }

QStringList ChartView::barSetNames() const
{
    QStringList names;
    if (d->bars)
        for (const QBarSet* set : d->bars->barSets()) names << set->label();
    return names;
}

QList<double> ChartView::barValues(const QString& set) const
{
    QList<double> values;
    if (d->bars)
        for (const QBarSet* bar : d->bars->barSets())
            if (bar->label() == set) {
                for (int i = 0; i < bar->count(); ++i) values << bar->at(i);
                break;
            }
    return values;
}

QPair<double, double> ChartView::xRange() const
{
    if (auto* time = qobject_cast<QDateTimeAxis*>(d->x))
        return {static_cast<double>(time->min().toMSecsSinceEpoch()), static_cast<double>(time->max().toMSecsSinceEpoch())};
    if (auto* value = qobject_cast<QValueAxis*>(d->x)) return {value->min(), value->max()};
    return {0, 0};
}

QPair<double, double> ChartView::yRange() const { return d->y ? qMakePair(d->y->min(), d->y->max()) : qMakePair(0.0, 0.0); }

void ChartView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    placePlaceholder();
    d->fitCategoryLabels(width());
}

QImage ChartView::renderImage(const QSize& size) const
{
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    // The layout measured text at the screen's DPI; paint at the same, or
    // point-sized fonts come out larger or smaller than the room left for them.
    image.setDotsPerMeterX(qRound(d->view->logicalDpiX() / 0.0254));
    image.setDotsPerMeterY(qRound(d->view->logicalDpiY() / 0.0254));
    image.fill(Qt::white);
    QPainter painter(&image);
    paintChart(&painter, size);
    return image;
}

void ChartView::paintChart(QPainter* painter, const QSize& size) const
{
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setRenderHint(QPainter::TextAntialiasing);
    d->renderAt(painter, size);
}

namespace {

bool fail(QString* error, const QString& path, const QString& why)
{
    if (error) *error = ChartView::tr("cannot write %1: %2").arg(path, why);
    return false;
}

}  // namespace

bool ChartView::exportPng(const QString& path, QString* error, const QSize& size) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return fail(error, path, file.errorString());
    if (!renderImage(size).save(&file, "PNG")) return fail(error, path, tr("PNG encoding failed"));
    if (!file.commit()) return fail(error, path, file.errorString());
    return true;
}

bool ChartView::exportSvg(const QString& path, QString* error, const QSize& size) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return fail(error, path, file.errorString());
    QBuffer buffer;  // QSvgGenerator writes as it paints; collect, then write through QSaveFile
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator svg;
    svg.setOutputDevice(&buffer);
    svg.setSize(size);
    svg.setViewBox(QRect(QPoint(0, 0), size));
    svg.setResolution(d->view->logicalDpiY());  // as renderImage: text the size the layout expects
    svg.setTitle(d->title);
    svg.setDescription(QStringLiteral("HyperFork chart"));
    {
        QPainter painter(&svg);
        painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);  // as the PNG: no transparent page
        d->renderAt(&painter, size);
    }
    if (file.write(buffer.data()) != buffer.size() || !file.commit()) return fail(error, path, file.errorString());
    return true;
}

}  // namespace hf::ui
