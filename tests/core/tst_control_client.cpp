// The VMM control socket's client against a server that refuses it: the
// refusal is one line written before the close, and the client must read it
// even when the close came before its request was out (send -> EPIPE). The
// KVM hostile test saw "send: Broken pipe" instead of the VMM's reason.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/unix_socket.h"
#include "temp_dir.h"
#include "vm/control_client.h"

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A socket in a directory of its own, removed with it.
struct SocketDir {
    hf::test::TempDir dir{"hf-ctl-client"};
    std::string path = (dir.path / "s.sock").string();
};

} // namespace

TEST(ControlClient, ReadsTheRefusalOfAServerThatClosedBeforeTheRequest)
{
    SocketDir sock;
    ASSERT_FALSE(sock.dir.path.empty());
    const std::string& path = sock.path;
    auto server = hf::listenUnix(path, 4);
    ASSERT_TRUE(server) << server.error().message();
    auto client = hf::vm::ControlClient::connect(path);
    ASSERT_TRUE(client) << client.error().message();
    {
        hf::UniqueFd accepted(::accept4(server->get(), nullptr, nullptr, SOCK_CLOEXEC));
        ASSERT_TRUE(accepted);
        const std::string line = R"({"ok":false,"error":"out of file descriptors"})" "\n";
        ASSERT_EQ(::send(accepted.get(), line.data(), line.size(), MSG_NOSIGNAL), ssize_t(line.size()));
    }  // closed before the client wrote anything
    auto answer = client->request({{"cmd", "status"}}, 5s);
    ASSERT_TRUE(answer) << answer.error().message();
    EXPECT_EQ((*answer)["error"], "out of file descriptors");
}

TEST(ControlClient, AServerThatClosesSilentlyIsAnError)
{
    SocketDir sock;
    ASSERT_FALSE(sock.dir.path.empty());
    const std::string& path = sock.path;
    auto server = hf::listenUnix(path, 4);
    ASSERT_TRUE(server);
    auto client = hf::vm::ControlClient::connect(path);
    ASSERT_TRUE(client);
    hf::UniqueFd(::accept4(server->get(), nullptr, nullptr, SOCK_CLOEXEC));
    auto answer = client->request({{"cmd", "status"}}, 5s);
    EXPECT_FALSE(answer);
}
