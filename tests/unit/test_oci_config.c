/* config.json as podman and Docker write it, translated onto a spec; the
 * process object alone (runc exec --process). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/resource.h>

#include "oci/fixture.h"
#include "seccomp/profile.h"
#include "spec.h"

/* podman 4.3 run --network none (rootful, cgroupfs) of an image, trimmed. */
static const char podman_config[] =
        "{\"ociVersion\": \"1.0.2-dev\","
        " \"process\": {\"user\": {\"uid\": 0, \"gid\": 0, \"umask\": 18, \"additionalGids\": [0, 10]},"
        "   \"args\": [\"/bin/sh\", \"-c\", \"echo hi\"],"
        "   \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\","
        "            \"container=podman\", \"HOSTNAME=c0ffee\"],"
        "   \"cwd\": \"/\","
        "   \"capabilities\": {"
        "     \"bounding\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
        "     \"effective\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_KILL\", \"CAP_SYS_ADMIN\"],"
        "     \"permitted\": [\"CAP_CHOWN\", \"CAP_DAC_OVERRIDE\", \"CAP_NET_BIND_SERVICE\"],"
        "     \"inheritable\": [\"CAP_SETUID\"], \"ambient\": [\"CAP_SETGID\"]},"
        "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 4096, \"soft\": 1024},"
        "                {\"type\": \"RLIMIT_NPROC\", \"hard\": 18446744073709551615, \"soft\": 100}],"
        "   \"terminal\": false, \"oomScoreAdj\": 100},"
        " \"root\": {\"path\": \"/var/lib/containers/storage/overlay/abc/merged\"},"
        " \"hostname\": \"c0ffee\","
        " \"mounts\": ["
        "   {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\", \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
        "   {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
        "    \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
        "   {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
        "   {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
        "    \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\"]},"
        "   {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\", \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
        "   {\"destination\": \"/etc/hostname\", \"type\": \"bind\", \"source\": \"/run/containers/abc/hostname\","
        "    \"options\": [\"bind\", \"rprivate\"]},"
        "   {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv/data\","
        "    \"options\": [\"rbind\", \"ro\", \"nosuid\", \"noexec\", \"nodev\", \"rprivate\"]},"
        "   {\"destination\": \"/dev/shm\", \"type\": \"bind\", \"source\": \"/var/lib/containers/abc/shm\","
        "    \"options\": [\"bind\", \"private\"]},"
        "   {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
        "    \"options\": [\"rprivate\", \"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]},"
        "   {\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
        "    \"options\": [\"rw\", \"rprivate\", \"nosuid\", \"nodev\", \"tmpcopyup\"]}],"
        " \"annotations\": {\"io.container.manager\": \"libpod\", \"org.opencontainers.image.stopSignal\": \"15\"},"
        " \"linux\": {"
        "   \"sysctl\": {\"net.ipv4.ping_group_range\": \"0 0\"},"
        "   \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}], \"pids\": {\"limit\": 2048}},"
        "   \"cgroupsPath\": \"/libpod_parent/libpod-abc\","
        "   \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/run/netns/netns-1\"},"
        "                  {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],"
        "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
        "     \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"], \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
        "     \"syscalls\": [{\"names\": [\"read\", \"keyctl\", \"write\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"}]},"
        "   \"maskedPaths\": [\"/proc/acpi\", \"/proc/kcore\", \"/sys/firmware\"],"
        "   \"readonlyPaths\": [\"/proc/bus\", \"/proc/sys\"]}}";

/* Docker 20.10 run --network none --user 1000 --memory 64m --cpus 0.5 ... */
static const char docker_config[] =
        "{\"ociVersion\": \"1.0.2-dev\","
        " \"process\": {\"user\": {\"uid\": 1000, \"gid\": 1000}, \"args\": [\"sleep\", \"1\"],"
        "   \"env\": [\"PATH=/usr/bin:/bin\", \"HOSTNAME=d0cker\"], \"cwd\": \"/work\","
        "   \"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_NET_RAW\"], \"effective\": [\"CAP_CHOWN\", \"CAP_NET_RAW\"],"
        "     \"inheritable\": [\"CAP_CHOWN\", \"CAP_NET_RAW\"], \"permitted\": [\"CAP_CHOWN\", \"CAP_NET_RAW\"]},"
        "   \"apparmorProfile\": \"\", \"noNewPrivileges\": false, \"oomScoreAdj\": 0},"
        " \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
        " \"hostname\": \"d0cker\","
        " \"mounts\": ["
        "   {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\", \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
        "   {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
        "   {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\"]},"
        "   {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
        "   {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\", \"options\": [\"ro\", \"nosuid\", \"noexec\", \"nodev\"]},"
        "   {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\", \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
        "   {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=67108864\"]},"
        "   {\"destination\": \"/run\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"rw\", \"noexec\", \"nosuid\", \"size=65536k\", \"mode=755\"]},"
        "   {\"destination\": \"/etc/resolv.conf\", \"type\": \"bind\", \"source\": \"/var/lib/docker/containers/d/resolv.conf\", \"options\": [\"rbind\", \"rprivate\", \"idmap\"]},"
        "   {\"destination\": \"/in\", \"type\": \"bind\", \"source\": \"/srv/in\", \"options\": [\"rbind\", \"ro\", \"rprivate\"]}],"
        " \"linux\": {"
        "   \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
        "                               {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rwm\"}],"
        "     \"memory\": {\"limit\": 67108864, \"swap\": 134217728, \"reservation\": 33554432}, \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000,"
        "     \"cpus\": \"0\", \"mems\": \"0\"}, \"pids\": {\"limit\": 100}, \"blockIO\": {}},"
        "   \"cgroupsPath\": \"/docker/d0cker\","
        "   \"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\"}, {\"type\": \"uts\"}, {\"type\": \"pid\"}, {\"type\": \"ipc\"}],"
        "   \"devices\": [{\"path\": \"/dev/null\", \"type\": \"c\", \"major\": 1, \"minor\": 3}],"
        "   \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\"]}}";

static const struct nsl_mount *find_mount(const nsl_spec *spec, const char *dest)
{
        for (size_t i = 0; i < spec->n_mounts; i++)
                if (!strcmp(spec->mounts[i].dest, dest))
                        return &spec->mounts[i];
        return NULL;
}

static const struct nsl_rlimit *find_rlimit(const nsl_spec *spec, int resource)
{
        for (size_t i = 0; i < spec->n_rlimits; i++)
                if (spec->rlimits[i].resource == resource)
                        return &spec->rlimits[i];
        return NULL;
}

static void podman_config_translates(void **state)
{
        nsl_spec *spec;
        nsl_oci *oci;
        char line[1200];
        const struct nsl_mount *m;
        struct nsl_sc_profile profile;
        nsl_error e = { 0 };
        char *text;
        size_t len;
        (void)state;

        assert_int_equal(load_and_translate(podman_config, &spec, &oci, line, sizeof line), 0);
        assert_string_equal(nsl_oci_root_path(oci), "/var/lib/containers/storage/overlay/abc/merged");
        assert_string_equal(nsl_oci_cgroups_path(oci), "/libpod_parent/libpod-abc");
        assert_false(nsl_oci_terminal(oci));
        assert_true(spec->bundle_layout);
        assert_string_equal(spec->argv[2], "echo hi");
        assert_true(spec->rw_root);
        assert_false(spec->keep_env);
        assert_int_equal(spec->n_env, 4);
        assert_string_equal(spec->env[2], "container=podman");
        assert_int_equal(spec->umask, 022);
        assert_int_equal(spec->n_groups, 2);
        assert_int_equal(spec->groups[1], 10);
        /* (effective | permitted) & bounding: not SYS_ADMIN (not bounding), nor SETUID/SETGID (inheritable, ambient) */
        assert_int_equal(spec->caps, (1ULL << 0) | (1ULL << 1) | (1ULL << 5) | (1ULL << 10));
        assert_int_equal(find_rlimit(spec, RLIMIT_NOFILE)->soft, 1024);
        assert_int_equal(find_rlimit(spec, RLIMIT_NOFILE)->hard, 4096);
        assert_true(find_rlimit(spec, RLIMIT_NPROC)->hard == UINT64_MAX);
        assert_true(spec->oom_score_adj_set);
        assert_int_equal(spec->oom_score_adj, 100);
        assert_string_equal(spec->hostname, "c0ffee");
        assert_string_equal(spec->join_ns[NSL_JOIN_NET], "/run/netns/netns-1");
        assert_true(spec->proc_set && spec->proc == NSL_PROC_FULL);
        assert_true(spec->dev && spec->sysfs && spec->cgroupfs);
        /* /dev/pts, /dev/mqueue and /dev/shm are nslaunch's /dev's own */
        assert_null(find_mount(spec, "/dev/shm"));
        assert_null(find_mount(spec, "/dev/pts"));
        m = find_mount(spec, "/data");
        assert_non_null(m);
        assert_true(m->kind == NSL_MOUNT_BIND && m->read_only && m->noexec);
        assert_string_equal(m->source, "/srv/data");
        m = find_mount(spec, "/etc/hostname");
        assert_true(m && !m->read_only && !m->noexec);
        m = find_mount(spec, "/tmp");
        assert_true(m && m->kind == NSL_MOUNT_TMPFS);
        assert_int_equal(spec->pids, 2048);
        assert_string_equal(spec->cgroup_path, "/libpod_parent/libpod-abc");
        /* the config's, then nslaunch's floor: a filter, no CAP_SYS_ADMIN */
        assert_int_equal(spec->n_sysctls, 2);
        assert_string_equal(spec->sysctls[0], "net.ipv4.ping_group_range=0 0");
        assert_string_equal(spec->sysctls[1], "user.max_user_namespaces=0");
        assert_int_equal(spec->n_masked_paths, 3);
        assert_int_equal(spec->n_readonly_paths, 2);
        assert_int_equal(spec->landlock, NSL_LANDLOCK_OFF);
        if (geteuid() == 0) {   /* no user namespace listed: the identity map */
                assert_int_equal(spec->n_uid_maps, 1);
                assert_true(spec->uid_maps[0].inside == 0 && spec->uid_maps[0].outside == 0 &&
                            spec->uid_maps[0].count == UINT32_MAX);
                assert_int_equal(spec->n_gid_maps, 1);
        }
        /* linux.seccomp reaches the profile parser whole, but for keyctl:
         * nslaunch's floor takes it out of the rule that allowed it, and the
         * default refuses it */
        assert_int_equal(spec->seccomp, NSL_SECCOMP_PROFILE);
        assert_int_equal(nsl_sc_profile_read(spec->seccomp_path, &text, &len, &e), 0);
        assert_int_equal(nsl_sc_profile_parse(text, len, spec->seccomp_path, &profile, &e), 0);
        assert_int_equal(profile.default_action, SCMP_ACT_ERRNO(38));
        assert_true(profile.spec_allow_flag);
        assert_int_equal(profile.n_rules, 1);
        assert_int_equal(profile.rules[0].n_names, 3);
        assert_string_equal(profile.rules[0].names[1], "write");
        nsl_sc_profile_free(&profile);
        free(text);
        nsl_oci_free(oci);
        nsl_spec_free(spec);
}

static void docker_config_translates(void **state)
{
        nsl_spec *spec;
        nsl_oci *oci;
        char line[1200];
        const struct nsl_mount *m;
        (void)state;

        assert_int_equal(load_and_translate(docker_config, &spec, &oci, line, sizeof line), 0);
        assert_true(!strncmp(nsl_oci_root_path(oci), "/tmp/nsl-oci-test-", 18));
        assert_string_equal(nsl_oci_root_path(oci) + strlen(nsl_oci_root_path(oci)) - 7, "/rootfs");
        assert_false(spec->rw_root);
        assert_true(spec->uid_set && spec->uid == 1000 && spec->gid_set && spec->gid == 1000);
        assert_string_equal(spec->cwd, "/work");
        assert_int_equal(spec->caps, (1ULL << 0) | (1ULL << 13));
        assert_false(spec->network_host);
        assert_null(spec->join_ns[NSL_JOIN_NET]);
        assert_int_equal(spec->memory, 64 << 20);
        assert_int_equal(spec->memory_swap, 128 << 20);
        assert_int_equal(spec->memory_reservation, 32 << 20);
        assert_int_equal(spec->cpu_quota_us, 50000);
        assert_int_equal(spec->cpu_shares, 512);
        assert_string_equal(spec->cpuset_cpus, "0");
        assert_int_equal(spec->pids, 100);
        m = find_mount(spec, "/run");
        assert_true(m && m->kind == NSL_MOUNT_TMPFS && m->noexec && m->size == 65536 << 10 && m->mode == 0755);
        m = find_mount(spec, "/in");
        assert_true(m && m->read_only && m->idmap == NSL_IDMAP_AUTO);
        m = find_mount(spec, "/etc/resolv.conf");
        assert_true(m && !m->read_only && m->idmap == NSL_IDMAP_ON);
        assert_null(find_mount(spec, "/dev/shm"));
        /* no linux.seccomp: the spec's default, no filter */
        assert_int_equal(spec->seccomp, NSL_SECCOMP_UNCONFINED);
        nsl_oci_free(oci);
        nsl_spec_free(spec);
}

static void no_network_namespace_is_the_hosts(void **state)
{
        char *text = config_with("linux.namespaces", "[{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\"},"
                                                     " {\"type\": \"uts\"}, {\"type\": \"user\"}]");
        nsl_spec *spec;
        char line[1200];
        (void)state;

        assert_int_equal(load_and_translate(text, &spec, NULL, line, sizeof line), 0);
        assert_true(spec->network_host);
        assert_int_equal(spec->n_uid_maps, 0);  /* a user namespace listed without mappings: nslaunch's own */
        assert_null(spec->join_ns[NSL_JOIN_PID]);
        nsl_spec_free(spec);
        free(text);
}

/* --pid=host, --ipc=host, --uts=host: the runtime's own, joined as a pod's
 * would be; by path: that one */
static void no_pid_ipc_uts_namespace_is_the_runtimes_joined(void **state)
{
        char *text = config_with("linux.namespaces", "[{\"type\": \"network\"}, {\"type\": \"mount\"}]");
        nsl_spec *spec;
        char line[1200];
        (void)state;

        assert_int_equal(load_and_translate(text, &spec, NULL, line, sizeof line), 0);
        assert_string_equal(spec->join_ns[NSL_JOIN_PID], "/proc/self/ns/pid");
        assert_string_equal(spec->join_ns[NSL_JOIN_IPC], "/proc/self/ns/ipc");
        assert_string_equal(spec->join_ns[NSL_JOIN_UTS], "/proc/self/ns/uts");
        nsl_spec_free(spec);
        free(text);
        text = config_with("linux.namespaces", "[{\"type\": \"pid\", \"path\": \"/proc/42/ns/pid\"},"
                                               " {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}]");
        assert_int_equal(load_and_translate(text, &spec, NULL, line, sizeof line), 0);
        assert_string_equal(spec->join_ns[NSL_JOIN_PID], "/proc/42/ns/pid");
        nsl_spec_free(spec);
        free(text);
}

static void process_file_loads_onto_a_spec(void **state)
{
        char *bundle = write_bundle("{\"args\": [\"/bin/ls\", \"-l\"], \"cwd\": \"/srv\", \"env\": [\"A=1\"],"
                                    " \"user\": {\"uid\": 7, \"gid\": 8}, \"terminal\": true,"
                                    " \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"]}}");
        char path[256], line[1200];
        nsl_spec *spec = nsl_spec_new();
        nsl_error e = { 0 };
        (void)state;

        snprintf(path, sizeof path, "%s/config.json", bundle);
        assert_int_equal(nsl_oci_process_load(path, spec, &e), 0);
        assert_string_equal(spec->argv[1], "-l");
        assert_string_equal(spec->cwd, "/srv");
        assert_true(spec->uid == 7 && spec->gid == 8);
        assert_int_equal(spec->caps, 1ULL << 5);
        remove_bundle(bundle);

        bundle = write_bundle("{\"args\": [\"/bin/ls\"], \"cwd\": \"/\", \"selinuxLabel\": \"x\"}");
        snprintf(path, sizeof path, "%s/config.json", bundle);
        assert_true(nsl_oci_process_load(path, spec, &e) < 0);
        nsl_error_format(&e, line, sizeof line);
        assert_string_equal(line, "nslaunch: config.json: process.selinuxLabel: not supported");
        remove_bundle(bundle);
        nsl_spec_free(spec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(podman_config_translates),
                cmocka_unit_test(docker_config_translates),
                cmocka_unit_test(no_network_namespace_is_the_hosts),
                cmocka_unit_test(no_pid_ipc_uts_namespace_is_the_runtimes_joined),
                cmocka_unit_test(process_file_loads_onto_a_spec),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
