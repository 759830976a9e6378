#include "ctl/ctl_output.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <set>

namespace hf::ctl {

using nlohmann::json;

namespace {

std::string fixed(double v, int digits = 1)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string mib(const json& bytes)
{
    return bytes.is_number() ? std::to_string(bytes.get<uint64_t>() >> 20) + " MiB" : "?";
}

// 0 B, 12 KiB, 3.5 MiB, 1.2 GiB.
std::string bytesText(uint64_t b)
{
    if (b < 1024)
        return std::to_string(b) + " B";
    if (b < (1u << 20))
        return std::to_string(b >> 10) + " KiB";
    if (b < (1ull << 30))
        return fixed(double(b) / double(1u << 20)) + " MiB";
    return fixed(double(b) / double(1ull << 30)) + " GiB";
}

std::string label(const json& vm)
{
    return vm.value("name", std::string("?")) + " (" + vm.value("id", json(0)).dump() + ")";
}

// "running", or "running (not responding)" while its VMM lets requests pass
// their deadlines (a daemon without the field: responsive).
std::string stateText(const json& vm)
{
    std::string s = vm.value("state", std::string("?"));
    if (vm.value("responsive", json(true)) == json(false))
        s += " (not responding)";
    return s;
}

// "disk 12 MiB" (the VM's copy-on-write overlays), or nothing without disks.
std::string diskText(const json& disks)
{
    if (!disks.is_array() || disks.empty())
        return "";
    uint64_t overlay = 0;
    for (const json& d : disks)
        if (d.is_object() && d.value("overlay_bytes", json()).is_number_integer())
            overlay += d["overlay_bytes"].get<uint64_t>();
    return "  " + std::to_string(disks.size()) + (disks.size() == 1 ? " disk" : " disks") + ", overlay " +
           bytesText(overlay);
}

// "template, 2/2 spares ready", or nothing for a VM that is no template.
std::string sparesText(const json& spares)
{
    if (!spares.is_object())
        return "";
    return "  template, " + spares.value("ready", json(0)).dump() + "/" + spares.value("wanted", json(0)).dump() +
           " spares ready";
}

// "forked in 12.3 ms" or, for a clone a spare became, "warm in 0.4 ms".
std::string forkText(const json& vm)
{
    const json lat = vm.value("/fork/latency_ms"_json_pointer, json());
    if (!lat.is_number())
        return "";
    const bool warm = vm.value("/fork/warm"_json_pointer, json(false)) == json(true);
    return std::string(warm ? "  warm in " : "  forked in ") + fixed(lat.get<double>()) + " ms";
}

std::string vmLine(const json& vm)
{
    std::string s = label(vm) + "  " + stateText(vm) + "  pid " + vm.value("pid", json(0)).dump();
    if (vm.value("parent", json()).is_null())
        s += "  " + mib(vm.value("memory", json())) + "  " + vm.value("cpus", json(1)).dump() + " vCPU";
    s += forkText(vm);
    s += diskText(vm.value("disks", json()));
    s += sparesText(vm.value("spares", json()));
    return s;
}

} // namespace

std::string renderNames(const json& vms)
{
    std::string out;
    if (vms.is_array())
        for (const json& vm : vms)
            if (auto name = vm.value("name", json()); name.is_string())
                out += name.get<std::string>() + "\n";
    return out;
}

std::string renderTree(const json& vms)
{
    if (!vms.is_array() || vms.empty())
        return "no VMs\n";
    std::map<uint64_t, const json*> byId;
    for (const json& vm : vms)
        byId[vm.value("id", uint64_t(0))] = &vm;
    std::map<uint64_t, std::vector<const json*>> kids;
    std::vector<const json*> roots;
    for (const json& vm : vms) {
        const json parent = vm.value("parent", json());
        if (parent.is_number() && byId.count(parent.get<uint64_t>()))
            kids[parent.get<uint64_t>()].push_back(&vm);
        else
            roots.push_back(&vm);
    }
    std::string out;
    std::set<uint64_t> shown;  // a malformed list with a cycle must still end
    std::function<void(const json&, const std::string&, bool, bool)> draw = [&](const json& vm, const std::string& indent,
                                                                                 bool last, bool root) {
        uint64_t id = vm.value("id", uint64_t(0));
        if (!shown.insert(id).second)
            return;
        out += root ? vmLine(vm) + "\n" : indent + (last ? "└── " : "├── ") + vmLine(vm) + "\n";
        const auto& children = kids[id];
        std::string next = root ? "" : indent + (last ? "    " : "│   ");
        for (size_t i = 0; i < children.size(); ++i)
            draw(*children[i], next, i + 1 == children.size(), false);
    };
    for (const json* r : roots)
        draw(*r, "", true, true);
    return out;
}

std::string renderBoot(const json& result)
{
    const json vm = result.value("vm", json::object());
    return "booted " + label(vm) + ", pid " + vm.value("pid", json(0)).dump() + ", " +
           vm.value("state", std::string("?")) + ", console " + vm.value("pty", json("?")).get<std::string>() + "\n";
}

std::string renderFork(const json& result)
{
    if (result.value("armed", false))
        return "armed VM " + result.value("parent", json(0)).dump() + ": its guest's next fork signal makes " +
               result.value("count", json(1)).dump() + " clone(s)\n";
    std::string out;
    for (const json& c : result.value("clones", json::array())) {
        const bool warm = c.value("/fork/warm"_json_pointer, json(false)) == json(true);
        out += std::string(warm ? "warm clone " : "forked ") + label(c) + "  pid " + c.value("pid", json(0)).dump();
        if (const json lat = c.value("/fork/latency_ms"_json_pointer, json()); lat.is_number())
            out += "  in " + fixed(lat.get<double>()) + " ms";
        out += "  console " + c.value("pty", json("?")).get<std::string>() + "\n";
    }
    for (const json& f : result.value("failed", json::array()))
        out += "failed: " + (f.is_string() ? f.get<std::string>() : f.dump()) + "\n";
    if (out.empty())
        out = "no clones\n";
    return out;
}

std::string renderStats(const json& r)
{
    std::string out;
    auto row = [&](const std::string& k, const std::string& v) { out += k + std::string(16 - std::min<size_t>(15, k.size()), ' ') + v + "\n"; };
    row("vm", r.value("vm", json(0)).dump());
    row("shared pages", r.value("shared_pages", json(0)).dump() + " (" + r.value("shared_kib", json(0)).dump() + " KiB)");
    row("private pages", r.value("private_pages", json(0)).dump() + " (" + r.value("private_kib", json(0)).dump() + " KiB)");
    row("rss", r.value("rss_kib", json(0)).dump() + " KiB");
    row("pss", r.value("pss_kib", json(0)).dump() + " KiB");
    if (const json cpu = r.value("cpu_ms", json()); cpu.is_number())
        row("cpu", fixed(cpu.get<double>() / 1000.0, 2) + " s");
    if (const json up = r.value("uptime_ms", json()); up.is_number())
        row("uptime", fixed(up.get<double>() / 1000.0, 1) + " s");
    if (const json ov = r.value("overlay_bytes", json()); ov.is_number_integer())
        row("disk overlay", bytesText(ov.get<uint64_t>()));
    return out;
}

std::string renderDiskSave(const json& r)
{
    return "saved disk " + r.value("disk", json(0)).dump() + " of VM " + r.value("vm", json(0)).dump() + " to " +
           r.value("path", std::string("?")) + " (" + bytesText(r.value("bytes", uint64_t(0))) + ", of which " +
           bytesText(r.value("overlay_bytes", uint64_t(0))) + " written by the VM)\n";
}

std::string renderSave(const json& r)
{
    const json t = r.value("template", json::object());
    if (t.contains("error"))
        return "saved, but the template does not read back: " + t.value("error", std::string("?")) + "\n";
    return "saved template " + t.value("name", std::string("?")) + " in " + t.value("dir", std::string("?")) + " (" +
           bytesText(t.value("bytes", uint64_t(0))) + " on disk, " + mib(t.value("memory", json())) + " of RAM)\n";
}

std::string renderSaveProgress(const json& p)
{
    const uint64_t done = p.value("done", uint64_t(0)), total = p.value("total", uint64_t(0));
    const int percent = total ? int(done * 100 / total) : 0;
    return "saving " + p.value("dir", std::string("?")) + ": " + std::to_string(percent) + "% (" +
           std::to_string(done >> 20) + " of " + std::to_string(total >> 20) + " MiB)\r";
}

std::string renderTemplates(const json& templates)
{
    if (!templates.is_array() || templates.empty())
        return "no templates\n";
    std::vector<std::vector<std::string>> rows = {{"NAME", "SIZE", "RAM", "CPUS", "CREATED", "SOURCE"}};
    std::vector<std::string> broken;
    for (const json& t : templates) {
        if (!t.is_object())
            continue;
        const std::string name = t.value("name", std::string("?"));
        if (t.contains("error")) {
            broken.push_back(name + "  unreadable: " + t.value("error", std::string("?")));
            continue;
        }
        std::string created = "?";
        if (t.value("created", json()).is_number_integer()) {
            const std::time_t when = t["created"].get<int64_t>();
            char buf[32];
            std::tm tm{};
            if (::localtime_r(&when, &tm) && std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm))
                created = buf;
        }
        rows.push_back({name, bytesText(t.value("bytes", uint64_t(0))), mib(t.value("memory", json())),
                        t.value("cpus", json("?")).dump(), created, t.value("source_vm", std::string("?"))});
    }
    std::vector<size_t> width(rows[0].size(), 0);
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    std::string out;
    if (rows.size() == 1)
        rows.clear();  // only broken ones: no header
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i)
            out += row[i] + (i + 1 < row.size() ? std::string(width[i] - row[i].size() + 2, ' ') : "\n");
    for (const auto& b : broken)
        out += b + "\n";
    return out;
}

std::string renderEvent(const std::string& method, const json& p)
{
    std::string head = method + std::string(method.size() < 16 ? 16 - method.size() : 1, ' ');
    if (method == "vm.booted" || method == "vm.state") {
        const json vm = p.value("vm", json::object());
        std::string s = head + label(vm) + " " + stateText(vm);
        if (method == "vm.state" && vm.value("parent", json()).is_number())
            s += " (parent " + vm["parent"].dump() + ")";
        return s + "\n";
    }
    if (method == "vm.ready")
        return head + "VM " + p.value("vm", json(0)).dump() + " ready after " + fixed(p.value("ms", 0.0), 0) + " ms\n";
    if (method == "vm.forked") {
        std::string s = head + "VM " + p.value("parent", json(0)).dump() + " ->";
        for (const json& c : p.value("clones", json::array()))
            s += " " + label(c);
        s += "  (" + p.value("origin", std::string("?")) + ", latency max " +
             fixed(p.value("/latency_ms/max"_json_pointer, 0.0)) + " ms)";
        return s + "\n";
    }
    if (method == "vm.exited")
        return head + p.value("name", std::string("?")) + " (" + p.value("vm", json(0)).dump() + ") pid " +
               p.value("pid", json(0)).dump() + ": " + p.value("reason", std::string("?")) + "\n";
    if (method == "metrics.sample") {
        std::string s = head;
        for (const json& e : p.value("samples", json::array()))
            s += " " + e.value("vm", json(0)).dump() + ":" + e.value("shared_pages", json(0)).dump() + "s/" +
                 e.value("private_pages", json(0)).dump() + "p";
        return s + "\n";
    }
    return head + p.dump() + "\n";
}

} // namespace hf::ctl
