#pragma once
// The one class that includes Qt Charts. Qt Charts is deprecated from Qt 6.10
// in favour of Qt Graphs; everything else draws through this small API and
// this header names no Qt Charts type, so swapping the backend rewrites
// chart_view.cpp only.
#include <QColor>
#include <QImage>
#include <QList>
#include <QPair>
#include <QPointF>
#include <QStringList>
#include <QWidget>

class QPainter;

#include <memory>

namespace hf::ui {

// Either line series (numeric or date-time x) or stacked bars, one mode at a
// time. Axes follow the data with round tick steps. No animation and no
// OpenGL: updates cost one repaint, and offscreen, export and screen agree.
class ChartView : public QWidget {
    Q_OBJECT
public:
    // DateTime: x values are ms since the epoch, labelled in local time.
    enum class XAxis { Numeric, DateTime };

    struct BarSet {
        QString name;
        QColor color;
        QList<double> values;  // one per category; missing ones count as 0
    };

    explicit ChartView(QWidget* parent = nullptr);
    ~ChartView() override;

    void setTitle(const QString& title);
    QString title() const;
    // A second, smaller line under the title (what the data is: its source,
    // its parameters); plain text. Empty: none.
    void setSubtitle(const QString& text);
    QString subtitle() const;
    void setAxisTitles(const QString& x, const QString& y);
    void setLegendVisible(bool visible);

    // Line mode (adding a series leaves bar mode). Each call hands a series
    // all its new points at once, so it repaints once however many there are.
    void setXAxis(XAxis kind);
    XAxis xAxis() const;
    // Per series; appendPoints drops the oldest beyond it. 0: no limit.
    void setMaxPoints(int max);
    int addLineSeries(const QString& name, const QColor& color);
    void replacePoints(int series, const QList<QPointF>& points);
    void appendPoints(int series, const QList<QPointF>& points);
    int lineSeriesCount() const;
    QString lineSeriesName(int series) const;
    int pointCount(int series) const;
    QList<QPointF> points(int series) const;
    // Line mode: thin vertical lines at these x values (ms since the epoch
    // for DateTime), across the y range, one legend entry `name`; markers
    // outside the lines' x range are not drawn. Empty: none.
    void setMarkers(const QList<double>& xs, const QString& name);
    QList<double> markers() const;

    // Bar mode (replaces any line series): one stacked bar per category. Qt
    // Charts merges equal category names, so duplicates get " (2)", " (3)"...
    // Sets with the same names as the last call are updated in place.
    void setStackedBars(const QStringList& categories, const QList<BarSet>& sets);
    int barCategoryCount() const;
    QStringList barCategories() const;
    QStringList barSetNames() const;
    // The values of the set named `set`, one per category; empty: no such set.
    QList<double> barValues(const QString& set) const;
    // Bar mode, after setStackedBars: a text above each category's bar
    // ("-25% vs boot"); empty strings and missing ones: none. The y axis
    // leaves room for them. Cleared by setStackedBars with other categories.
    void setBarLabels(const QStringList& labels);
    QStringList barLabels() const;
    // Bar mode, after setStackedBars: an error bar over each category from
    // low to high (a 95% confidence interval), one legend entry `name`; a
    // NaN bound: none for that category. Empty: none. Qt Charts has no error
    // bars: each is a line drawn as a whisker.
    void setErrorBars(const QList<QPair<double, double>>& ranges, const QString& name);
    QList<QPair<double, double>> errorBars() const;

    // The axis ranges as drawn: x of line mode (ms since the epoch for
    // DateTime), y of either mode.
    QPair<double, double> xRange() const;
    QPair<double, double> yRange() const;

    // No series and no bars; titles, x axis kind and limits stay.
    void clear();

    // Text in the middle of the chart saying why it is empty (what to do to
    // fill it); empty: none. Not part of exported images.
    void setPlaceholderText(const QString& text);
    QString placeholderText() const;

    // Laid out at `size` rather than scaled from the widget, which may be
    // small or never shown.
    QImage renderImage(const QSize& size) const;
    // The same, drawn by `painter` from its origin (several charts on one page).
    void paintChart(QPainter* painter, const QSize& size) const;
    // Atomic (QSaveFile); false with "cannot write <path>: why" in *error.
    bool exportPng(const QString& path, QString* error, const QSize& size = {1200, 700}) const;
    bool exportSvg(const QString& path, QString* error, const QSize& size = {1200, 700}) const;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void placePlaceholder();

    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace hf::ui
