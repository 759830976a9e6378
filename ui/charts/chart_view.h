#pragma once
// The one class that includes Qt Charts. Qt Charts is deprecated from Qt 6.10
// in favour of Qt Graphs; everything else draws through this small API, so
// swapping the backend touches these two files only.
#include <QColor>
#include <QImage>
#include <QList>
#include <QPointF>
#include <QStringList>
#include <QWidget>

namespace hf::ui {

class ChartView : public QWidget {
    Q_OBJECT
public:
    struct BarSet {
        QString name;
        QColor color;
        QList<double> values;  // one per category
    };

    explicit ChartView(QWidget* parent = nullptr);
    ~ChartView() override;

    void setTitle(const QString& title);
    void setAxisTitles(const QString& x, const QString& y);

    // Line mode: numeric x. Series are replaced whole (one repaint per
    // update, however many points).
    int addLineSeries(const QString& name, const QColor& color);
    void setLinePoints(int series, const QList<QPointF>& points);
    int lineSeriesCount() const;
    int pointCount(int series) const;

    // Bar mode: stacked bars, one per category (replaces any line series).
    void setStackedBars(const QStringList& categories, const QList<BarSet>& sets);
    int barCategoryCount() const;

    void clear();

    QImage renderImage(const QSize& size) const;
    bool exportPng(const QString& path, QString* error, const QSize& size = {1200, 700}) const;
    bool exportSvg(const QString& path, QString* error, const QSize& size = {1200, 700}) const;

private:
    struct Impl;
    Impl* d;
};

}  // namespace hf::ui
