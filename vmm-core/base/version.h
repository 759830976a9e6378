#pragma once
// HyperFork's version (CMake's project(VERSION)), for --version and the
// daemon's hello. Defined in one source file so that a new version
// recompiles only that file.

namespace hf {

const char* hyperforkVersion();

} // namespace hf
