#pragma once
// A scratch directory for one test, under $TMPDIR (or /tmp), removed with
// everything in it when the test ends. `path` is empty when it could not be
// made (tests that must have it assert so).

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace hf::test {

struct TempDir {
    std::filesystem::path path;

    explicit TempDir(const std::string& prefix = "hf-test")
    {
        std::string t = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (::mkdtemp(t.data()))
            path = t;
    }
    ~TempDir()
    {
        std::error_code ec;
        if (!path.empty())
            std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

} // namespace hf::test
