#include "template/fdt_builder.h"

#include <libfdt.h>

namespace hf::tmpl {

FdtBuilder::FdtBuilder(size_t capacity) : m_buf(capacity)
{
    check(fdt_create(m_buf.data(), int(m_buf.size())), "fdt_create");
    check(fdt_finish_reservemap(m_buf.data()), "fdt_finish_reservemap");
}

void FdtBuilder::check(int rc, const char* what)
{
    if (rc < 0 && m_err == 0) {
        m_err = rc;
        m_errWhat = what;
    }
}

void FdtBuilder::beginNode(const std::string& name)
{
    if (!m_err)
        check(fdt_begin_node(m_buf.data(), name.c_str()), "fdt_begin_node");
}

void FdtBuilder::endNode()
{
    if (!m_err)
        check(fdt_end_node(m_buf.data()), "fdt_end_node");
}

void FdtBuilder::bytes(const char* name, std::span<const uint8_t> value)
{
    if (!m_err)
        check(fdt_property(m_buf.data(), name, value.data(), int(value.size())), name);
}

void FdtBuilder::u32(const char* name, uint32_t value)
{
    if (!m_err)
        check(fdt_property_u32(m_buf.data(), name, value), name);
}

void FdtBuilder::u64(const char* name, uint64_t value)
{
    if (!m_err)
        check(fdt_property_u64(m_buf.data(), name, value), name);
}

void FdtBuilder::u64s(const char* name, const std::vector<uint64_t>& values)
{
    std::vector<fdt64_t> cells;
    cells.reserve(values.size());
    for (uint64_t v : values)
        cells.push_back(cpu_to_fdt64(v));
    bytes(name, {reinterpret_cast<const uint8_t*>(cells.data()), cells.size() * sizeof(fdt64_t)});
}

void FdtBuilder::string(const char* name, const std::string& value)
{
    if (!m_err)
        check(fdt_property_string(m_buf.data(), name, value.c_str()), name);
}

bool FdtBuilder::outOfSpace() const
{
    return m_err == -FDT_ERR_NOSPACE;
}

Result<std::vector<uint8_t>> FdtBuilder::finish()
{
    if (!m_err)
        check(fdt_finish(m_buf.data()), "fdt_finish");
    if (m_err)
        return failMsg("building the device tree: " + m_errWhat + ": " + fdt_strerror(m_err));
    m_buf.resize(fdt_totalsize(m_buf.data()));
    return std::move(m_buf);
}

} // namespace hf::tmpl
