/* The whole cgroup path (where the cgroup goes, what is written, stale ones,
 * stats, removal) against a directory tree laid out like cgroupfs. A new
 * directory is filled the way the kernel would: the core files, and the
 * interface files of the controllers its parent hands down. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"

static char top[64];

static void join(const char *dir, const char *name, char path[static 512])
{
        assert_true(snprintf(path, 512, "%s/%s", dir, name) < 512);
}

static void put(const char *dir, const char *name, const char *content)
{
        char path[512];
        join(dir, name, path);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void get(const char *dir, const char *name, char *buf, size_t size)
{
        char path[512];
        join(dir, name, path);
        FILE *f = fopen(path, "re");
        if (!f)
                fail_msg("%s is missing", path);
        size_t n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
}

static void expect(const char *dir, const char *name, const char *content)
{
        char buf[256];
        get(dir, name, buf, sizeof buf);
        if (strcmp(buf, content))
                fail_msg("%s/%s holds '%s', expected '%s'", dir, name, buf, content);
}

static void mkdirs(const char *rel)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", top, rel);
        for (char *p = path + strlen(top) + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                mkdir(path, 0755);
                *p = '/';
        }
        mkdir(path, 0755);
}

static const char *const v2_files[][5] = {
        { "memory", "memory.max", "memory.swap.max", "memory.oom.group", "memory.high" },
        { "cpu", "cpu.max", "cpu.stat", NULL },
        { "pids", "pids.max", "pids.current", NULL },
        { "io", "io.weight", "io.max", NULL },
        { "hugetlb", "hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "hugetlb.1GB.max", NULL },
};

/* "cpu" in "cpuset cpu +memory", as a word of its own (with or without '+') */
static bool has_word(const char *list, const char *word)
{
        size_t n = strlen(word);

        for (const char *hit = list; (hit = strstr(hit, word)); hit += n)
                if ((hit == list || hit[-1] == ' ' || hit[-1] == '+') && (!hit[n] || hit[n] == ' ' || hit[n] == '\n'))
                        return true;
        return false;
}

static void v2_made(int dirfd, const char *path)
{
        char parent[512], handed[256];
        (void)dirfd;
        snprintf(parent, sizeof parent, "%s", path);
        *strrchr(parent, '/') = '\0';
        get(parent, "cgroup.subtree_control", handed, sizeof handed);
        put(path, "cgroup.procs", "");
        put(path, "cgroup.controllers", "");
        put(path, "cgroup.subtree_control", "");
        put(path, "cgroup.kill", "");
        put(path, "memory.events", "");
        put(path, "cgroup.max.depth", "");
        for (size_t c = 0; c < sizeof v2_files / sizeof v2_files[0]; c++) {
                if (!has_word(handed, v2_files[c][0]))
                        continue;
                for (size_t i = 1; i < 5 && v2_files[c][i]; i++)
                        put(path, v2_files[c][i], "");
        }
}

static void v1_made(int dirfd, const char *path)
{
        (void)dirfd;
        put(path, "cgroup.procs", "");
        put(path, "tasks", "");
        if (strstr(path, "/memory/")) {
                put(path, "memory.limit_in_bytes", "");
                put(path, "memory.memsw.limit_in_bytes", "");
                put(path, "memory.max_usage_in_bytes", "");
                put(path, "memory.oom_control", "");
        } else if (strstr(path, "/pids/")) {
                put(path, "pids.max", "");
        }
}

static int setup(void **state)
{
        (void)state;
        snprintf(top, sizeof top, "/tmp/nsl-cgroupfs-XXXXXX");
        assert_non_null(mkdtemp(top));
        return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st; (void)flag; (void)ftw;
        return remove(path);
}

static int teardown(void **state)
{
        (void)state;
        nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static void path_of(char *buf, size_t size, const char *rel)
{
        snprintf(buf, size, "%s/%s", top, rel);
}

/* The fake tree's cgroup2 root at v2 ("TOP/v2"): the controllers it has
 * and those it hands down. */
static void v2_root(char v2[static 128], const char *controllers, const char *handed)
{
        mkdirs("v2");
        path_of(v2, 128, "v2");
        put(v2, "cgroup.controllers", controllers);
        put(v2, "cgroup.subtree_control", handed);
}

/* A pure v2 host, as root: the cgroup goes under /nslaunch, whose children
 * get the three controllers. */
static void v2_as_root(void **state)
{
        char v2[128], self[128], prefix[256], nsl[160];
        struct nsl_cgroup_limits l = { .memory = 64 << 20, .cpu_quota_us = 25000, .cpu_period_us = 100000, .pids = 32 };
        struct nsl_cgroup cg;
        nsl_error e = { 0 };
        int64_t peak;
        bool oom;
        (void)state;

        v2_root(v2, "cpuset cpu io memory hugetlb pids rdma misc\n", "cpuset cpu io memory pids\n");
        path_of(self, sizeof self, "self");
        put(top, "self", "0::/init.scope\n");
        struct nsl_cgroup_places places = { .v2 = v2, .self = self, .made = v2_made };

        assert_int_equal(nsl_cgroup_create_in(&places, &l, NULL, &cg, &e), 0);
        assert_int_equal(cg.version, 2);
        assert_true(cg.fd >= 0);
        snprintf(nsl, sizeof nsl, "%s/nslaunch", v2);
        expect(nsl, "cgroup.subtree_control", "+memory +cpu +pids");
        snprintf(prefix, sizeof prefix, "%s/nslaunch-%d-", nsl, (int)getpid());
        assert_int_equal(strncmp(cg.dirs[0], prefix, strlen(prefix)), 0);
        assert_int_equal(strlen(cg.dirs[0]), strlen(prefix) + 8);
        assert_null(cg.dirs[1]);
        expect(cg.dirs[0], "memory.max", "67108864");
        expect(cg.dirs[0], "memory.swap.max", "0");
        expect(cg.dirs[0], "memory.oom.group", "1");
        expect(cg.dirs[0], "cpu.max", "25000 100000");
        expect(cg.dirs[0], "pids.max", "32");
        for (int c = 0; c < NSL_CG_N; c++)
                assert_int_equal(cg.tasks[c], -1);     /* v2: clone3 puts the child there */

        put(cg.dirs[0], "memory.peak", "1234567\n");
        put(cg.dirs[0], "memory.events", "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 1\n");
        nsl_cgroup_stats(&cg, &peak, &oom);
        assert_int_equal(peak, 1234567);
        assert_true(oom);
        put(cg.dirs[0], "memory.events", "low 0\nhigh 0\nmax 9\noom 0\noom_kill 0\n");
        nsl_cgroup_stats(&cg, &peak, &oom);
        assert_false(oom);

        /* cgroupfs removes a cgroup with its files; a plain directory needs them gone */
        char dir[256];
        snprintf(dir, sizeof dir, "%s", cg.dirs[0]);
        {
                static const char *const files[] = {
                        "cgroup.procs", "cgroup.controllers", "cgroup.subtree_control", "cgroup.kill",
                        "cgroup.max.depth", "memory.events", "memory.high", "memory.max", "memory.swap.max", "memory.oom.group", "memory.peak",
                        "cpu.max", "cpu.stat", "pids.max", "pids.current",
                };
                for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
                        char p[512];
                        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
                        unlink(p);
                }
        }
        nsl_cgroup_destroy(&cg);
        assert_int_equal(access(dir, F_OK), -1);
        assert_null(cg.dirs[0]);
        assert_int_equal(cg.fd, -1);
        assert_int_equal(cg.version, 0);
}

/* The caller's v2 files, after the typed limits (and over them): their
 * controllers handed down beside the typed ones', core files need none. A
 * file the cgroup lacks and a controller the host lacks are named. */
static void v2_files_after_the_limits(void **state)
{
        char v2[128], nsl[160];
        char *files[] = { "memory.high=1000000", "io.weight=default 50", "cgroup.max.depth=2", "pids.max=9", NULL };
        char *absent[] = { "memory.zswap.max=0", NULL };
        char *no_controller[] = { "rdma.max=mlx4_0 hca_handle=1", NULL };
        struct nsl_cgroup_limits l = { .pids = 8, .v2_files = files, .n_v2_files = 4,
                                       .hugepages = { { "2MB", 0 }, { "1GB", 1 << 30 } }, .n_hugepages = 2 };
        struct nsl_cgroup_limits l_no_size = { .hugepages = { { "16GB", 0 } }, .n_hugepages = 1 };
        struct nsl_cgroup_limits l_absent = { .v2_files = absent, .n_v2_files = 1 };
        struct nsl_cgroup_limits l_none = { .v2_files = no_controller, .n_v2_files = 1 };
        struct nsl_cgroup cg;
        nsl_error e = { 0 };
        (void)state;

        v2_root(v2, "cpuset cpu io memory pids hugetlb\n", "\n");
        struct nsl_cgroup_places places = { .v2 = v2, .self = "/nonexistent", .made = v2_made };

        assert_int_equal(nsl_cgroup_create_in(&places, &l, NULL, &cg, &e), 0);
        assert_int_equal(cg.version, 2);
        snprintf(nsl, sizeof nsl, "%s/nslaunch", v2);
        expect(nsl, "cgroup.subtree_control", "+memory +pids +hugetlb +io");
        /* both limits where the kernel has both, the use's alone where it has no reservations' */
        expect(cg.dirs[0], "hugetlb.2MB.max", "0");
        expect(cg.dirs[0], "hugetlb.2MB.rsvd.max", "0");
        expect(cg.dirs[0], "hugetlb.1GB.max", "1073741824");
        assert_int_equal(access(cg.dirs[0], F_OK), 0);
        expect(cg.dirs[0], "memory.high", "1000000");
        expect(cg.dirs[0], "io.weight", "default 50");
        expect(cg.dirs[0], "cgroup.max.depth", "2");
        expect(cg.dirs[0], "pids.max", "9");
        nsl_cgroup_release(&cg);

        assert_int_equal(nsl_cgroup_create_in(&places, &l_absent, NULL, &cg, &e), -ENOENT);
        assert_string_equal(e.what, "cgroup");
        assert_string_equal(e.object, "memory.zswap.max");
        assert_string_equal(e.cause, "no such file in the cgroup: the kernel has none, or its controller is not "
                                     "enabled for the cgroup");
        nsl_cgroup_release(&cg);

        assert_int_equal(nsl_cgroup_create_in(&places, &l_no_size, NULL, &cg, &e), -ENOENT);
        assert_string_equal(e.object, "hugetlb.16GB.max");
        assert_string_equal(e.cause, "no such file in the cgroup: the kernel has no 16GB huge pages");
        nsl_cgroup_release(&cg);

        assert_int_equal(nsl_cgroup_create_in(&places, &l_none, NULL, &cg, &e), -ENOTSUP);
        assert_string_equal(e.object, v2);
        assert_string_equal(e.cause, "has no rdma controller (not in its cgroup.controllers)");
}

/* A cgroup with limits l under a v2 root that has the io controller, which
 * it hands down for them. */
static void create_io_limited(const struct nsl_cgroup_limits *l, struct nsl_cgroup *cg)
{
        char v2[128], nsl[160];
        nsl_error e = { 0 };

        v2_root(v2, "cpu io memory pids\n", "\n");
        struct nsl_cgroup_places places = { .v2 = v2, .self = "/nonexistent", .made = v2_made };

        assert_int_equal(nsl_cgroup_create_in(&places, l, NULL, cg, &e), 0);
        snprintf(nsl, sizeof nsl, "%s/nslaunch", v2);
        expect(nsl, "cgroup.subtree_control", "+io");
}

/* An I/O weight: BFQ's file as given where BFQ is loaded, else
 * blk-iocost's converted; a kernel with neither named. */
static void v2_io_weight(void **state)
{
        struct nsl_cgroup_limits l = { .blkio_weight = 500 };
        struct nsl_cgroup cg;
        nsl_error e = { 0 };
        (void)state;

        create_io_limited(&l, &cg);
        expect(cg.dirs[0], "io.weight", "4950");
        put(cg.dirs[0], "io.bfq.weight", "");
        assert_int_equal(nsl_cgroup_v2_apply(cg.fd, &l, &e), 0);
        expect(cg.dirs[0], "io.bfq.weight", "500");
        expect(cg.dirs[0], "io.weight", "4950");
        char path[512];
        snprintf(path, sizeof path, "%s/io.bfq.weight", cg.dirs[0]);
        unlink(path);
        snprintf(path, sizeof path, "%s/io.weight", cg.dirs[0]);
        unlink(path);
        assert_int_equal(nsl_cgroup_v2_apply(cg.fd, &l, &e), -ENOENT);
        assert_string_equal(e.object, "io.weight");
        assert_string_equal(e.cause, "no such file in the cgroup: the kernel has neither BFQ nor blk-iocost to "
                                     "weigh I/O by");
        nsl_cgroup_release(&cg);
}

/* A throttle is one io.max line of its device and key; a rate of 0 lifts
 * it (max). Throttles alone hand the io controller down. */
static void v2_io_throttles(void **state)
{
        char path[512];
        struct nsl_cgroup_limits l = { .io_throttles = { { NSL_IO_WRITE_BPS, 8, 16, 1 << 20 } }, .n_io_throttles = 1 };
        struct nsl_cgroup_limits lifted = { .io_throttles = { { NSL_IO_READ_IOPS, 8, 0, 0 } }, .n_io_throttles = 1 };
        struct nsl_cgroup cg;
        nsl_error e = { 0 };
        (void)state;

        create_io_limited(&l, &cg);
        expect(cg.dirs[0], "io.max", "8:16 wbps=1048576");
        snprintf(path, sizeof path, "%s/io.max", cg.dirs[0]);
        unlink(path);
        put(cg.dirs[0], "io.max", "");
        assert_int_equal(nsl_cgroup_v2_apply(cg.fd, &lifted, &e), 0);
        expect(cg.dirs[0], "io.max", "8:0 riops=max");
        nsl_cgroup_release(&cg);
}

/* Only limits asked for are written; no limits, no cgroup. */
static void v2_nothing_asked_nothing_made(void **state)
{
        char v2[128];
        struct nsl_cgroup_limits none = { 0 };
        struct nsl_cgroup cg;
        nsl_error e = { 0 };
        (void)state;

        v2_root(v2, "cpu memory pids\n", "cpu memory pids\n");
        struct nsl_cgroup_places places = { .v2 = v2, .self = "/nonexistent", .made = v2_made };
        assert_int_equal(nsl_cgroup_create_in(&places, &none, NULL, &cg, &e), 0);
        assert_int_equal(cg.version, 0);
        assert_int_equal(access(v2, F_OK), 0);
        char nsl[160];
        snprintf(nsl, sizeof nsl, "%s/nslaunch", v2);
        assert_int_equal(access(nsl, F_OK), -1);
}

/* Rootless under systemd's user@.service: the cgroup goes beside the
 * caller's own, in what the user manager delegates, which must already hand
 * the controllers down: nslaunch does not rearrange what it did not make. */
static void v2_rootless_delegated(void **state)
{
        char v2[128], self[128], app[192], expected[256];
        struct nsl_cgroup_limits pids = { .pids = 64 }, cpus = { .cpu_quota_us = 50000, .pids = 64 };
        struct nsl_cgroup cg;
        nsl_error e = { 0 };
        (void)state;

        mkdirs("v2/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope");
        path_of(v2, sizeof v2, "v2");
        path_of(self, sizeof self, "self");
        put(v2, "cgroup.controllers", "cpuset cpu io memory pids\n");
        put(top, "self", "0::/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope\n");
        snprintf(app, sizeof app, "%s/user.slice/user-1000.slice/user@1000.service/app.slice", v2);
        put(app, "cgroup.subtree_control", "memory pids\n");
        struct nsl_cgroup_places places = { .v2 = v2, .self = self, .rootless = true, .made = v2_made };

        assert_int_equal(nsl_cgroup_create_in(&places, &pids, NULL, &cg, &e), 0);
        assert_int_equal(cg.version, 2);
        snprintf(expected, sizeof expected, "%s/nslaunch-%d-", app, (int)getpid());
        assert_int_equal(strncmp(cg.dirs[0], expected, strlen(expected)), 0);
        expect(cg.dirs[0], "pids.max", "64");
        expect(app, "cgroup.subtree_control", "memory pids\n");        /* untouched */
        nsl_cgroup_release(&cg);

        assert_int_equal(nsl_cgroup_create_in(&places, &cpus, NULL, &cg, &e), -ENOTSUP);
        assert_string_equal(e.what, "cgroup");
        assert_string_equal(e.object, app);
        assert_string_equal(e.cause,
                            "does not hand the cpu controller down (not in its cgroup.subtree_control); use a cgroup "
                            "delegated with it, e.g. run nslaunch under 'systemd-run --user --scope -p Delegate=yes', "
                            "or pass --limits best-effort");
}

/* --cgroup-parent names a cgroup nslaunch did not make: used as it is. */
static void v2_cgroup_parent(void **state)
{
        char v2[128], plugins[160], nsl[160];
        struct nsl_cgroup_limits mem = { .memory = 1 << 30, .memory_swap = 2ULL << 30 }, pids = { .pids = 8 };
        struct nsl_cgroup cg;
        nsl_error e = { 0 };
        (void)state;

        mkdirs("v2/plugins");
        path_of(v2, sizeof v2, "v2");
        snprintf(plugins, sizeof plugins, "%s/plugins", v2);
        put(v2, "cgroup.controllers", "cpuset cpu io memory pids\n");
        put(plugins, "cgroup.subtree_control", "memory\n");
        struct nsl_cgroup_places places = { .v2 = v2, .self = "/nonexistent", .made = v2_made };

        assert_int_equal(nsl_cgroup_create_in(&places, &mem, "/plugins", &cg, &e), 0);
        assert_int_equal(strncmp(cg.dirs[0], plugins, strlen(plugins)), 0);
        expect(cg.dirs[0], "memory.max", "1073741824");
        expect(cg.dirs[0], "memory.swap.max", "1073741824");
        snprintf(nsl, sizeof nsl, "%s/nslaunch", v2);
        assert_int_equal(access(nsl, F_OK), -1);                       /* no default parent made */
        nsl_cgroup_release(&cg);

        assert_int_equal(nsl_cgroup_create_in(&places, &pids, "/plugins", &cg, &e), -ENOTSUP);
        assert_non_null(strstr(e.cause, "does not hand the pids controller down"));
        assert_int_equal(nsl_cgroup_create_in(&places, &pids, "/absent", &cg, &e), -ENOENT);
}

/* A hybrid host like this one: a cgroup2 at unified/ without controllers,
 * memory and pids in v1. Each goes under the caller's own cgroup there, with
 * the same name; the child is moved in with a write to cgroup.procs. */
static void v1_beside_an_empty_v2(void **state)
{
        char unified[128], mem[128], pids[128], self[128], own_mem[192];
        struct nsl_cgroup_limits l = { .memory = 32 << 20, .pids = 10 };
        struct nsl_cgroup cg;
        nsl_error e = { 0 };
        int64_t peak;
        bool oom;
        (void)state;

        mkdirs("unified");
        mkdirs("memory/process_api/abc");
        mkdirs("pids");
        path_of(unified, sizeof unified, "unified");
        path_of(mem, sizeof mem, "memory");
        path_of(pids, sizeof pids, "pids");
        path_of(self, sizeof self, "self");
        put(unified, "cgroup.controllers", "");
        put(top, "self", "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n");
        struct nsl_cgroup_places places = {
                .v2 = unified, .v1 = { [NSL_CG_MEMORY] = mem, [NSL_CG_PIDS] = pids }, .self = self, .made = v1_made,
        };

        assert_int_equal(nsl_cgroup_create_in(&places, &l, NULL, &cg, &e), 0);
        assert_int_equal(cg.version, 1);
        assert_int_equal(cg.fd, -1);
        assert_null(cg.dirs[NSL_CG_CPU]);
        snprintf(own_mem, sizeof own_mem, "%s/process_api/abc/nslaunch-", mem);
        assert_int_equal(strncmp(cg.dirs[NSL_CG_MEMORY], own_mem, strlen(own_mem)), 0);
        assert_string_equal(strrchr(cg.dirs[NSL_CG_MEMORY], '/'), strrchr(cg.dirs[NSL_CG_PIDS], '/'));
        assert_int_equal(strncmp(cg.dirs[NSL_CG_PIDS], pids, strlen(pids)), 0);
        assert_int_equal(strchr(cg.dirs[NSL_CG_PIDS] + strlen(pids) + 1, '/'), NULL);
        expect(cg.dirs[NSL_CG_MEMORY], "memory.limit_in_bytes", "33554432");
        expect(cg.dirs[NSL_CG_MEMORY], "memory.memsw.limit_in_bytes", "33554432");
        expect(cg.dirs[NSL_CG_PIDS], "pids.max", "10");
        {
                char *files[] = { "memory.high=1", NULL };
                struct nsl_cgroup_limits with_file = { .memory = 32 << 20, .v2_files = files, .n_v2_files = 1 };
                struct nsl_cgroup_limits hugepages = { .pids = 10, .hugepages = { { "2MB", 0 } }, .n_hugepages = 1 };
                struct nsl_cgroup refused;
                assert_int_equal(nsl_cgroup_create_in(&places, &with_file, NULL, &refused, &e), -ENOTSUP);
                assert_string_equal(e.object, "memory.high");
                assert_string_equal(e.cause, "a cgroup v2 file, and this host's controllers are in cgroup v1 "
                                             "hierarchies");
                assert_int_equal(nsl_cgroup_create_in(&places, &hugepages, NULL, &refused, &e), -ENOTSUP);
                assert_string_equal(e.object, "hugetlb.2MB.max");
                struct nsl_cgroup_limits io = { .pids = 10, .blkio_weight = 100 };
                assert_int_equal(nsl_cgroup_create_in(&places, &io, NULL, &refused, &e), -ENOTSUP);
                assert_string_equal(e.object, "io.weight");
        }

        /* init moves itself: "0" (the writer) into tasks, through fds opened here */
        assert_true(cg.tasks[NSL_CG_MEMORY] >= 0 && cg.tasks[NSL_CG_PIDS] >= 0);
        assert_int_equal(cg.tasks[NSL_CG_CPU], -1);
        assert_int_equal(nsl_cgroup_enter_self(cg.tasks, &e), 0);
        expect(cg.dirs[NSL_CG_MEMORY], "tasks", "0");
        expect(cg.dirs[NSL_CG_PIDS], "tasks", "0");
        expect(cg.dirs[NSL_CG_MEMORY], "cgroup.procs", "");

        put(cg.dirs[NSL_CG_MEMORY], "memory.max_usage_in_bytes", "33550000\n");
        put(cg.dirs[NSL_CG_MEMORY], "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        nsl_cgroup_stats(&cg, &peak, &oom);
        assert_int_equal(peak, 33550000);
        assert_true(oom);
        nsl_cgroup_release(&cg);        /* teardown removes the tree */
}

/* An exact path (an OCI container's) on a hybrid host: the v1 controllers',
 * name=systemd's (no limit, no controller) and the controller-less cgroup2
 * beside, the child cloned into it; rootless, only what may be delegated. */
static void v1_exact_on_a_hybrid_host(void **state)
{
        char unified[128], mem[128], named[128], want[192];
        struct nsl_cgroup_limits l = { .memory = 32 << 20 };
        struct nsl_cgroup cg = NSL_CGROUP_INIT;
        nsl_error e = { 0 };
        (void)state;

        /* v1.c makes them with mkdir alone: the fake tree has them already,
         * empty, as a real one holds files */
        for (size_t i = 0; i < 5; i++) {
                static const char *const dirs[] = { "memory/ctr/one", "systemd/ctr/one", "memory/ctr/two",
                                                    "memory/busy", "systemd/busy" };
                char dir[192];
                snprintf(want, sizeof want, "%s/x", dirs[i]);
                mkdirs(want);
                path_of(dir, sizeof dir, dirs[i]);
                v1_made(-1, dir);
        }
        mkdirs("unified/x");
        path_of(unified, sizeof unified, "unified");
        path_of(mem, sizeof mem, "memory");
        path_of(named, sizeof named, "systemd");
        struct nsl_cgroup_places places = {
                .v2 = unified, .v1 = { [NSL_CG_MEMORY] = mem, [NSL_CG_SYSTEMD] = named }, .made = v1_made,
        };

        assert_int_equal(nsl_cgroup_v1_create_exact(&places, &l, "/ctr/one", &cg, &e), 0);
        assert_int_equal(cg.version, 1);
        snprintf(want, sizeof want, "%s/ctr/one", unified);
        assert_string_equal(cg.unified, want);
        assert_true(cg.fd >= 0);
        snprintf(want, sizeof want, "%s/ctr/one", named);
        assert_string_equal(cg.dirs[NSL_CG_SYSTEMD], want);
        expect(cg.dirs[NSL_CG_MEMORY], "memory.limit_in_bytes", "33554432");
        assert_int_equal(nsl_cgroup_enter_self(cg.tasks, &e), 0);
        expect(cg.dirs[NSL_CG_SYSTEMD], "tasks", "0");
        nsl_cgroup_release(&cg);

        /* a cgroup2 one already in use is not the container's to take */
        mkdirs("unified/busy/x");
        path_of(want, sizeof want, "unified/busy");
        put(want, "cgroup.procs", "4242\n");
        cg = (struct nsl_cgroup)NSL_CGROUP_INIT;
        assert_int_equal(nsl_cgroup_v1_create_exact(&places, &l, "/busy", &cg, &e), -EBUSY);
        assert_string_equal(e.object, want);
        nsl_cgroup_release(&cg);

        places.rootless = true;
        cg = (struct nsl_cgroup)NSL_CGROUP_INIT;
        assert_int_equal(nsl_cgroup_v1_create_exact(&places, &l, "/ctr/two", &cg, &e), 0);
        assert_null(cg.unified);
        assert_int_equal(cg.fd, -1);
        assert_null(cg.dirs[NSL_CG_SYSTEMD]);
        assert_non_null(cg.dirs[NSL_CG_MEMORY]);
        nsl_cgroup_release(&cg);
}

/* /proc/PID/cgroup's lines split, its hierarchies as a sandbox's cgroup
 * mount names them, and which it has a cgroup of its own in. */
static void hierarchies_named_and_owned(void **state)
{
        struct nsl_cgroup_hierarchy h;
        int tasks[NSL_CG_N] = { -1, -1, -1, -1, -1, -1, -1, -1 };
        char many[300];
        (void)state;

        struct nsl_cgroup_line line;
        assert_true(nsl_cgroup_line_parse("2:cpu,cpuacct:/a/b\n1:memory:/", &line));
        assert_int_equal(line.controllers_len, 11);
        assert_memory_equal(line.controllers, "cpu,cpuacct", 11);
        assert_int_equal(line.path_len, 4);
        assert_memory_equal(line.path, "/a/b", 4);
        assert_true(nsl_cgroup_line_parse("0::/", &line));
        assert_int_equal(line.controllers_len, 0);
        assert_int_equal(line.path_len, 1);
        assert_false(nsl_cgroup_line_parse("0:memory\n1:a:/", &line));
        assert_false(nsl_cgroup_line_parse("", &line));

        tasks[NSL_CG_CPU] = 3;
        assert_int_equal(nsl_cgroup_hierarchy_parse("cpu,cpuacct:/x", 11, &h), 0);
        assert_string_equal(h.dir, "cpu,cpuacct");
        assert_int_equal(h.n, 2);
        assert_string_equal(h.controllers[1], "cpuacct");
        assert_null(h.name);
        assert_true(nsl_cgroup_hierarchy_is_own(&h, tasks));

        assert_int_equal(nsl_cgroup_hierarchy_parse("name=systemd", 12, &h), 0);
        assert_string_equal(h.dir, "systemd");
        assert_string_equal(h.name, "systemd");
        assert_int_equal(h.n, 0);
        assert_false(nsl_cgroup_hierarchy_is_own(&h, tasks));
        tasks[NSL_CG_SYSTEMD] = 4;
        assert_true(nsl_cgroup_hierarchy_is_own(&h, tasks));
        assert_int_equal(nsl_cgroup_hierarchy_parse("name=other", 10, &h), 0);
        assert_false(nsl_cgroup_hierarchy_is_own(&h, tasks));

        assert_int_equal(nsl_cgroup_hierarchy_parse("net_cls,net_prio", 16, &h), 0);
        assert_false(nsl_cgroup_hierarchy_is_own(&h, tasks));
        assert_int_equal(nsl_cgroup_hierarchy_parse("memory", 6, &h), 0);
        assert_false(nsl_cgroup_hierarchy_is_own(&h, tasks));

        assert_int_equal(nsl_cgroup_hierarchy_parse("", 0, &h), -EINVAL);
        memset(many, 'a', sizeof many);
        assert_int_equal(nsl_cgroup_hierarchy_parse(many, sizeof many, &h), -E2BIG);
        assert_int_equal(nsl_cgroup_hierarchy_parse("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", 33, &h), -E2BIG);
}

/* v1 without a controller the limits need. */
static void v1_missing_controller(void **state)
{
        char mem[128], self[128];
        struct nsl_cgroup_limits l = { .cpu_quota_us = 50000 };
        struct nsl_cgroup cg;
        nsl_error e = { 0 };
        (void)state;

        mkdirs("memory");
        path_of(mem, sizeof mem, "memory");
        path_of(self, sizeof self, "self");
        put(top, "self", "4:memory:/\n");
        struct nsl_cgroup_places places = { .v1 = { [NSL_CG_MEMORY] = mem }, .self = self, .made = v1_made };
        assert_int_equal(nsl_cgroup_create_in(&places, &l, NULL, &cg, &e), -ENOTSUP);
        assert_string_equal(e.object, "cpu");
        assert_string_equal(e.cause, "this host has no cpu controller in cgroup v2 or v1");
}

/* Only an nslaunch-PID-RANDOM cgroup whose nslaunch is gone and in which
 * nothing runs is stale. */
static void stale_ones(void **state)
{
        char parent[128];
        (void)state;

        mkdirs("p/nslaunch-999999999-0000dead");
        mkdirs("p/nslaunch-999999999-0000beef");
        mkdirs("p/nslaunch-999999999-00000000");
        mkdirs("p/other-999999999-0000dead");
        mkdirs("p/nslaunch-x");
        char live[64];
        snprintf(live, sizeof live, "p/nslaunch-%d-00000001", (int)getpid());
        mkdirs(live);
        path_of(parent, sizeof parent, "p");

        char d[256];
        snprintf(d, sizeof d, "%s/nslaunch-999999999-0000dead", parent);
        put(d, "cgroup.procs", "");
        snprintf(d, sizeof d, "%s/nslaunch-999999999-0000beef", parent);
        put(d, "cgroup.procs", "314\n");
        snprintf(d, sizeof d, "%s/other-999999999-0000dead", parent);
        put(d, "cgroup.procs", "");
        snprintf(d, sizeof d, "%s/nslaunch-x", parent);
        put(d, "cgroup.procs", "");
        snprintf(d, sizeof d, "%s/%s", top, live);
        put(d, "cgroup.procs", "");

        int fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(nsl_cgroup_is_stale(fd, "nslaunch-999999999-0000dead"));
        assert_false(nsl_cgroup_is_stale(fd, "nslaunch-999999999-0000beef"));     /* something runs in it */
        assert_false(nsl_cgroup_is_stale(fd, "nslaunch-999999999-00000000"));     /* not a cgroup: no cgroup.procs */
        assert_false(nsl_cgroup_is_stale(fd, "other-999999999-0000dead"));        /* not nslaunch's */
        assert_false(nsl_cgroup_is_stale(fd, "nslaunch-x"));                      /* not nslaunch's naming */
        assert_false(nsl_cgroup_is_stale(fd, live + 2));                          /* its nslaunch lives */
        close(fd);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(v2_as_root, setup, teardown),
                cmocka_unit_test_setup_teardown(v2_nothing_asked_nothing_made, setup, teardown),
                cmocka_unit_test_setup_teardown(v2_io_throttles, setup, teardown),
                cmocka_unit_test_setup_teardown(v2_files_after_the_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(v2_io_weight, setup, teardown),
                cmocka_unit_test_setup_teardown(v2_rootless_delegated, setup, teardown),
                cmocka_unit_test_setup_teardown(v2_cgroup_parent, setup, teardown),
                cmocka_unit_test_setup_teardown(v1_beside_an_empty_v2, setup, teardown),
                cmocka_unit_test_setup_teardown(v1_exact_on_a_hybrid_host, setup, teardown),
                cmocka_unit_test(hierarchies_named_and_owned),
                cmocka_unit_test_setup_teardown(v1_missing_controller, setup, teardown),
                cmocka_unit_test_setup_teardown(stale_ones, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
