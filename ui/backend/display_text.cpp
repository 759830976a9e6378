#include "backend/display_text.h"

#include <QLocale>

namespace hf::ui {

QString countText(qint64 n, const QString& one, const QString& many)
{
    return QStringLiteral("%1 %2").arg(QLocale().toString(n), n == 1 ? one : many);
}

QString mibText(double kib)
{
    const double mib = kib / 1024.0;
    return QStringLiteral("%1 MiB").arg(QLocale().toString(mib, 'f', mib < 10 ? 1 : 0));
}

QString bytesText(qint64 bytes)
{
    qint64 unit = 1;
    while (unit <= bytes / 1024) unit *= 1024;
    const int precision = bytes % unit == 0 ? 0 : 1;
    return QLocale().formattedDataSize(bytes, precision, QLocale::DataSizeIecFormat);
}

QString durationText(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s < 60) return QStringLiteral("%1 s").arg(s);
    if (s < 3600) return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
    return QStringLiteral("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, QChar('0')).arg(s % 60, 2, 10, QChar('0'));
}

}  // namespace hf::ui
