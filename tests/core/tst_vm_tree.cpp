// VmTree: the daemon's registry keeps parent and children consistent through
// forks, nested clones and exits in any order.
#include <gtest/gtest.h>

#include "daemon/vm_tree.h"

using namespace hf::daemon;
using nlohmann::json;

namespace {

VmId add(VmTree& t, const std::string& name, VmId parent = 0, int pid = 0)
{
    VmNode n;
    n.name = name;
    n.parent = parent;
    n.pid = pid;
    auto id = t.add(n);
    EXPECT_TRUE(id) << (id ? "" : id.error().message());
    return id ? *id : 0;
}

// Every parent id names a listed VM and lists the child exactly once.
void expectConsistent(const VmTree& t)
{
    for (VmId id : t.depthFirst()) {
        const VmNode* n = t.find(id);
        ASSERT_NE(n, nullptr);
        if (n->parent != 0) {
            const VmNode* p = t.find(n->parent);
            ASSERT_NE(p, nullptr) << "VM " << id << " has a missing parent " << n->parent;
            EXPECT_EQ(std::count(p->children.begin(), p->children.end(), id), 1);
        }
        for (VmId c : n->children) {
            ASSERT_NE(t.find(c), nullptr);
            EXPECT_EQ(t.find(c)->parent, id);
        }
    }
    EXPECT_EQ(t.depthFirst().size(), t.size());
}

} // namespace

TEST(VmTree, NestedClonesListParentsFirst)
{
    VmTree t;
    VmId ref = add(t, "ref");
    VmId a = add(t, "a", ref);
    VmId b = add(t, "b", ref);
    VmId aa = add(t, "aa", a);
    VmId other = add(t, "other");
    EXPECT_EQ(t.depthFirst(), (std::vector<VmId>{ref, a, aa, b, other}));
    EXPECT_EQ(t.depth(aa), 2u);
    EXPECT_EQ(t.subtree(a), (std::vector<VmId>{a, aa}));
    json list = t.list();
    ASSERT_EQ(list.size(), 5u);
    EXPECT_EQ(list[2]["name"], "aa");
    EXPECT_EQ(list[2]["parent"], a);
    EXPECT_EQ(list[2]["depth"], 2);
    EXPECT_TRUE(list[0]["parent"].is_null());
    EXPECT_EQ(list[0]["children"], json({a, b}));
    expectConsistent(t);
}

TEST(VmTree, UnknownParentIsRefused)
{
    VmTree t;
    VmNode n;
    n.parent = 42;
    EXPECT_FALSE(t.add(n));
    EXPECT_EQ(t.size(), 0u);
}

TEST(VmTree, ExitedParentsChildrenMoveToNearestLiveAncestor)
{
    VmTree t;
    VmId ref = add(t, "ref");
    VmId a = add(t, "a", ref);
    VmId aa = add(t, "aa", a);
    VmId ab = add(t, "ab", a);
    VmId aaa = add(t, "aaa", aa);

    EXPECT_EQ(t.remove(a), (std::vector<VmId>{aa, ab}));
    EXPECT_EQ(t.find(aa)->parent, ref);
    EXPECT_EQ(t.find(ab)->parent, ref);
    EXPECT_EQ(t.find(aaa)->parent, aa);
    expectConsistent(t);

    // The root goes: its children become roots.
    EXPECT_EQ(t.remove(ref), (std::vector<VmId>{aa, ab}));
    EXPECT_EQ(t.find(aa)->parent, 0u);
    expectConsistent(t);
    EXPECT_TRUE(t.remove(999).empty());
    EXPECT_EQ(t.size(), 3u);
}

TEST(VmTree, IdsAreNeverReused)
{
    VmTree t;
    VmId a = add(t, "a");
    t.remove(a);
    EXPECT_GT(add(t, "b"), a);
}

TEST(VmTree, ResolveByIdOrName)
{
    VmTree t;
    VmId ref = add(t, "ref", 0, 100);
    VmId w1 = add(t, "w", ref, 101);
    VmId w2 = add(t, "w", ref, 102);
    struct Case {
        json ref;
        std::optional<VmId> want;
        std::string errorHas;
    };
    const std::vector<Case> cases = {
        {json(ref), ref, ""},
        {json("ref"), ref, ""},
        {json(w2), w2, ""},
        {json("w"), std::nullopt, "matches VMs " + std::to_string(w1) + ", " + std::to_string(w2)},
        {json("nope"), std::nullopt, "no VM named 'nope'"},
        {json(77), std::nullopt, "no VM with id 77"},
        {json(-1), std::nullopt, "must be a VM id"},
        {json(0), std::nullopt, "must be a VM id"},
        {json(true), std::nullopt, "must be a VM id"},
        {json(1.5), std::nullopt, "must be a VM id"},
        {json(""), std::nullopt, "must be a VM id"},
        {json::array(), std::nullopt, "must be a VM id"},
    };
    for (const auto& c : cases) {
        auto got = t.resolve(c.ref);
        if (c.want) {
            ASSERT_TRUE(got) << c.ref.dump() << ": " << got.error().message();
            EXPECT_EQ(*got, *c.want) << c.ref.dump();
        } else {
            ASSERT_FALSE(got) << c.ref.dump();
            EXPECT_NE(got.error().message().find(c.errorHas), std::string::npos)
                << c.ref.dump() << ": " << got.error().message();
        }
    }
    EXPECT_EQ(t.findByPid(102)->id, w2);
    EXPECT_EQ(t.findByPid(5), nullptr);
}

TEST(VmTree, StatesAndCloneFieldsInJson)
{
    VmTree t;
    VmId ref = add(t, "ref");
    VmNode c;
    c.parent = ref;
    c.name = "c";
    c.state = VmState::Paused;
    c.origin = "guest";
    c.fork = {{"latency_ms", 12.5}};
    VmId id = *t.add(c);
    json j = t.toJson(id);
    EXPECT_EQ(j["state"], "paused");
    EXPECT_EQ(j["responsive"], true);
    t.find(id)->responsive = false;
    EXPECT_EQ(t.toJson(id)["responsive"], false);
    EXPECT_EQ(j["origin"], "guest");
    EXPECT_EQ(j["fork"]["latency_ms"], 12.5);
    EXPECT_FALSE(t.toJson(ref).contains("origin"));
    EXPECT_TRUE(t.toJson(999).is_null());
}

TEST(VmTree, ChildrenInForkOrderWhateverTheRegistrationOrder)
{
    VmTree t;
    VmId ref = add(t, "ref", 0, 100);
    VmId c3 = add(t, "c3", ref, 103);
    VmId c1 = add(t, "c1", ref, 101);
    VmId c2 = add(t, "c2", ref, 102);
    EXPECT_EQ(t.find(ref)->children, (std::vector<VmId>{c1, c2, c3}));
    // Moving up keeps the order too.
    VmId g = add(t, "g", c1, 104);
    VmId g0 = add(t, "g0", c1, 99);
    t.remove(c1);
    EXPECT_EQ(t.find(ref)->children, (std::vector<VmId>{g0, c2, c3, g}));
    expectConsistent(t);
}

TEST(VmTree, WellFormedReferences)
{
    for (const json& good : {json(1), json(42u), json("ref")})
        EXPECT_TRUE(VmTree::wellFormedRef(good)) << good.dump();
    for (const json& bad : {json(-1), json(0), json(""), json(1.5), json(true), json(nullptr), json::array()})
        EXPECT_FALSE(VmTree::wellFormedRef(bad)) << bad.dump();
}

TEST(VmTree, AttachMovesARootUnderItsParent)
{
    VmTree t;
    VmId ref = add(t, "ref", 0, 100);
    VmId c2 = add(t, "c2", ref, 102);
    VmId late = add(t, "c1", 0, 101);  // adopted before its identity was known
    VmId g = add(t, "g", late, 103);
    ASSERT_TRUE(t.attach(late, ref));
    EXPECT_EQ(t.find(ref)->children, (std::vector<VmId>{late, c2}));
    EXPECT_EQ(t.find(late)->parent, ref);
    EXPECT_EQ(t.depthFirst(), (std::vector<VmId>{ref, late, g, c2}));
    expectConsistent(t);

    EXPECT_FALSE(t.attach(late, c2));      // not a root any more
    EXPECT_FALSE(t.attach(ref, g));        // under its own descendant: a cycle
    EXPECT_FALSE(t.attach(ref, ref));
    EXPECT_FALSE(t.attach(999, ref));
    EXPECT_FALSE(t.attach(ref, 999));
    expectConsistent(t);
}

TEST(VmTree, ACloneNodeTakesWhatItSharesWithItsParentAndNothingOfItsOwn)
{
    VmNode parent;
    parent.id = 7;
    parent.parent = 3;
    parent.name = "ref";
    parent.pid = 700;
    parent.state = VmState::Paused;
    parent.ready = true;
    parent.memory = 256u << 20;
    parent.cpus = 2;
    parent.kernel = "/k";
    parent.initrd = "/i";
    parent.pty = "/dev/pts/4";
    parent.control = "/run/ref.sock";
    parent.templateDir = "/t/base";
    parent.cloneId = 9;
    parent.origin = "guest";
    parent.disks = json::array({{{"index", 0}, {"path", "/d.ext4"}}});
    parent.spares = {{"template", true}};

    VmNode c = cloneNodeOf(parent);
    EXPECT_EQ(c.parent, 7u);
    EXPECT_EQ(c.state, VmState::Running);
    EXPECT_TRUE(c.ready);
    EXPECT_EQ(c.memory, parent.memory);
    EXPECT_EQ(c.cpus, 2u);
    EXPECT_EQ(c.kernel, "/k");
    EXPECT_EQ(c.initrd, "/i");
    EXPECT_EQ(c.templateDir, "/t/base");
    EXPECT_EQ(c.disks, parent.disks);
    // Its own: name, pid, sockets, fork facts, and it is no template.
    EXPECT_EQ(c.id, 0u);
    EXPECT_TRUE(c.name.empty());
    EXPECT_EQ(c.pid, 0);
    EXPECT_TRUE(c.pty.empty());
    EXPECT_TRUE(c.control.empty());
    EXPECT_EQ(c.cloneId, 0u);
    EXPECT_TRUE(c.origin.empty());
    EXPECT_TRUE(c.spares.is_null());
    EXPECT_TRUE(c.children.empty());
}
