#pragma once
// KVM's variable-length ioctl structs (kvm_cpuid2, kvm_msrs, kvm_msr_list):
// a header followed by N entries, allocated as one zeroed, aligned block.

#include <cstddef>
#include <cstdint>
#include <memory>

namespace hf::kvm {

template <class Header, class Entry>
class Flex {
public:
    explicit Flex(size_t n)
        : m_words((sizeof(Header) + n * sizeof(Entry) + 7) / 8), m_buf(std::make_unique<uint64_t[]>(m_words))
    {
    }
    Header* get() { return reinterpret_cast<Header*>(m_buf.get()); }
    Header* operator->() { return get(); }

private:
    size_t m_words;
    std::unique_ptr<uint64_t[]> m_buf;
};

} // namespace hf::kvm
