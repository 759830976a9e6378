#include "backend/line_framer.h"

namespace hf::ui {

QList<QByteArray> LineFramer::feed(QByteArrayView bytes)
{
    QList<QByteArray> lines;
    if (m_overflow) return lines;
    m_buffer.append(bytes);
    qsizetype start = 0;
    for (qsizetype nl; (nl = m_buffer.indexOf('\n', start)) >= 0; start = nl + 1) {
        qsizetype end = nl;
        if (end > start && m_buffer.at(end - 1) == '\r') --end;
        if (end - start > m_maxLine) {
            m_overflow = true;
            m_buffer.clear();
            return lines;
        }
        lines.append(m_buffer.mid(start, end - start));
    }
    m_buffer.remove(0, start);
    if (m_buffer.size() > m_maxLine) {
        m_overflow = true;
        m_buffer.clear();
    }
    return lines;
}

void LineFramer::reset()
{
    m_buffer.clear();
    m_overflow = false;
}

}  // namespace hf::ui
