#pragma once
// Numbers as people read them, the same in every view: counts with their
// noun in the right number ("1 VM", "3 clones"), memory in MiB, durations.
// (tr()'s %n needs a translation file to drop "(s)"; English gets it here.)
#include <QString>

namespace hf::ui {

// "1 VM", "3 VMs", "no VMs" never: 0 gives "0 VMs" (callers say "No VMs" themselves).
QString countText(qint64 n, const QString& one, const QString& many);
// KiB as MiB: one decimal below 10 MiB ("2.5 MiB"), whole above ("116 MiB").
QString mibText(double kib);
// Bytes in the largest IEC unit they fill: whole when exact ("512 MiB"),
// else one decimal ("1.5 GiB", "130.2 MiB").
QString bytesText(qint64 bytes);
// Guest pages of 4 KiB (the x86-64 page metrics.sample counts) in KiB.
constexpr qint64 pageKib = 4;
inline double pagesToMib(qint64 pages) { return static_cast<double>(pages * pageKib) / 1024.0; }
// "45 s", "12:05", "3:02:10".
QString durationText(qint64 ms);

}  // namespace hf::ui
