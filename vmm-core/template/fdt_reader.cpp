#include "template/fdt_reader.h"

#include <libfdt.h>

namespace hf::tmpl {

std::string FdtReader::path(int node) const
{
    char buf[512];
    if (fdt_get_path(m_fdt, node, buf, sizeof buf) < 0)
        return "(node at " + std::to_string(node) + ")";
    return buf;
}

std::string FdtReader::nodeName(int node) const
{
    int len = 0;
    const char* name = fdt_get_name(m_fdt, node, &len);
    return name && len >= 0 ? std::string(name, size_t(len)) : std::string();
}

tl::unexpected<Error> FdtReader::error(int node, const std::string& what) const
{
    return failMsg(path(node) + ": " + what);
}

tl::unexpected<Error> FdtReader::wrongSize(int node, const char* name, size_t got, const std::string& expected) const
{
    return error(node, std::string(name) + " is " + std::to_string(got) + " bytes, " + expected);
}

tl::unexpected<Error> FdtReader::tooMany(int node, const char* name, size_t got, size_t max) const
{
    return error(node, std::string(name) + " has " + std::to_string(got) + " entries, at most " + std::to_string(max) +
                           " allowed");
}

Result<int> FdtReader::subnode(int parent, const char* name) const
{
    int off = fdt_subnode_offset(m_fdt, parent, name);
    if (off < 0)
        return error(parent, std::string("no node ") + name);
    return off;
}

Result<std::vector<int>> FdtReader::children(int parent, size_t maxCount, const char* what) const
{
    std::vector<int> out;
    int child;
    fdt_for_each_subnode(child, m_fdt, parent)
    {
        if (out.size() == maxCount)
            return error(parent, std::string("more than ") + std::to_string(maxCount) + " " + what);
        out.push_back(child);
    }
    if (child != -FDT_ERR_NOTFOUND)
        return error(parent, std::string("cannot list its nodes: ") + fdt_strerror(child));
    return out;
}

bool FdtReader::has(int node, const char* name) const
{
    return fdt_getprop(m_fdt, node, name, nullptr) != nullptr;
}

Result<std::span<const uint8_t>> FdtReader::bytes(int node, const char* name) const
{
    int len = 0;
    const void* p = fdt_getprop(m_fdt, node, name, &len);
    if (!p)
        return error(node, std::string("no property ") + name);
    if (len < 0)
        return error(node, std::string(name) + ": " + fdt_strerror(len));
    return std::span<const uint8_t>(static_cast<const uint8_t*>(p), size_t(len));
}

Result<uint32_t> FdtReader::u32(int node, const char* name) const
{
    fdt32_t v;
    HF_TRY(raw(node, name, v));
    return fdt32_to_cpu(v);
}

Result<uint64_t> FdtReader::u64(int node, const char* name) const
{
    fdt64_t v;
    HF_TRY(raw(node, name, v));
    return fdt64_to_cpu(v);
}

Result<std::vector<uint64_t>> FdtReader::u64s(int node, const char* name, size_t maxCount) const
{
    auto cells = rawArray<fdt64_t>(node, name, maxCount);
    if (!cells)
        return fail(cells.error());
    std::vector<uint64_t> out;
    out.reserve(cells->size());
    for (fdt64_t c : *cells)
        out.push_back(fdt64_to_cpu(c));
    return out;
}

Result<std::string> FdtReader::string(int node, const char* name, size_t maxBytes) const
{
    auto b = bytes(node, name);
    if (!b)
        return fail(b.error());
    if (b->empty() || b->back() != 0)
        return error(node, std::string(name) + " is not a NUL-terminated string");
    const size_t n = b->size() - 1;
    if (std::memchr(b->data(), 0, n))
        return error(node, std::string(name) + " holds a NUL inside the string");
    if (n > maxBytes)
        return error(node, std::string(name) + " is " + std::to_string(n) + " bytes, at most " +
                               std::to_string(maxBytes) + " allowed");
    return std::string(reinterpret_cast<const char*>(b->data()), n);
}

} // namespace hf::tmpl
