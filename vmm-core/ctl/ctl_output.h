#pragma once
// hyperforkctl's human output: the VM tree, fork results, stats and one
// line per event. Pure functions of the daemon's JSON.

#include <nlohmann/json.hpp>
#include <string>

namespace hf::ctl {

// vm.list's "vms" as a tree; a VM whose parent is not in the list is shown
// at the top level.
std::string renderTree(const nlohmann::json& vms);
// vm.list's "vms" as one name a line, in the daemon's order (completion).
std::string renderNames(const nlohmann::json& vms);
std::string renderBoot(const nlohmann::json& result);
std::string renderFork(const nlohmann::json& result);
std::string renderStats(const nlohmann::json& result);
std::string renderDiskSave(const nlohmann::json& result);
// vm.save's answer: the template's directory and its size on disk.
std::string renderSave(const nlohmann::json& result);
// vm.save_progress as one line ending in '\r' (a terminal redraws it).
std::string renderSaveProgress(const nlohmann::json& params);
// template.list's "templates" as a table; a broken one with its error.
std::string renderTemplates(const nlohmann::json& templates);
std::string renderEvent(const std::string& method, const nlohmann::json& params);

} // namespace hf::ctl
