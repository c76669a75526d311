/* Every config.json field nslaunch refuses is named in the one line it is
 * refused with (issue 14): the minimal config with one field changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "host.h"
#include "oci/fixture.h"

/* line_expected ending with '*': the line starts with the rest (the cause is
 * a setter's own words). */
static void expect_refused(const char *path, const char *value_json, const char *line_expected)
{
        char *text = config_with(path, value_json);
        char line[1200];
        int r = load_and_translate(text, NULL, NULL, line, sizeof line);
        size_t n = strlen(line_expected);

        if (line_expected[n - 1] == '*' && !strncmp(line, line_expected, n - 1))
                line_expected = line;
        if (r == 0 || strcmp(line, line_expected))
                print_error("%s = %s\n  got:      %s\n  expected: %s\n", path, value_json ? value_json : "(deleted)",
                            line, line_expected);
        assert_true(r < 0);
        assert_string_equal(line, line_expected);
        free(text);
}

static void minimal_config_is_accepted(void **state)
{
        char line[1200];
        (void)state;
        assert_int_equal(load_and_translate(MINIMAL_CONFIG, NULL, NULL, line, sizeof line), 0);
        assert_string_equal(line, "");
}

static void top_level(void **state)
{
        (void)state;
        expect_refused("ociVersion", "\"2.0.0\"", "nslaunch: config.json: ociVersion: 2.0.0 is not supported (1.0.x to 1.2.x)");
        expect_refused("windows", "{\"layerFolders\": []}", "nslaunch: config.json: windows: not supported");
        expect_refused("solaris", "{}", "nslaunch: config.json: solaris: not supported");
        expect_refused("vm", "{}", "nslaunch: config.json: vm: not supported");
        expect_refused("root", NULL, "nslaunch: config.json: root: missing");
        expect_refused("process", NULL, "nslaunch: config.json: process: missing (the process to start)");
        expect_refused("linux", NULL, "nslaunch: config.json: linux: missing (nslaunch runs Linux containers only)");
}

static void process_security_labels(void **state)
{
        (void)state;
        /* applied where AppArmor is enabled (the kernel matrix's guests:
         * tests/integration/test_oci_apparmor.py); refused elsewhere */
        if (!nsl_host_apparmor_enabled())
                expect_refused("process.apparmorProfile", "\"docker-default\"",
                               "nslaunch: config.json: process.apparmorProfile: docker-default: AppArmor is not "
                               "enabled on this host");
        expect_refused("process.apparmorProfile", "\"two\\nlines\"",
                       "nslaunch: config.json: process.apparmorProfile: a profile name has no line breaks");
        expect_refused("process.selinuxLabel", "\"system_u:system_r:container_t:s0\"",
                       "nslaunch: config.json: process.selinuxLabel: not supported");
        /* a mount label: refused where SELinux is enabled, of no effect
         * where it is not (as runc's and crun's) */
        if (nsl_host_selinux_enabled()) {
                expect_refused("linux.mountLabel", "\"system_u:object_r:container_file_t:s0\"",
                               "nslaunch: config.json: linux.mountLabel: system_u:object_r:container_file_t:s0: "
                               "nslaunch cannot apply SELinux labels, and SELinux is enabled on this host");
        } else {
                char *text = config_with("linux.mountLabel", "\"system_u:object_r:container_file_t:s0\"");
                char line[1200];
                assert_int_equal(load_and_translate(text, NULL, NULL, line, sizeof line), 0);
                free(text);
        }
        expect_refused("linux.mountLabel", "7", "nslaunch: config.json: linux.mountLabel: *");
}

static void process_fields(void **state)
{
        (void)state;
        expect_refused("process.commandLine", "\"cmd.exe\"", "nslaunch: config.json: process.commandLine: not supported");
        expect_refused("process.scheduler", "{\"policy\": \"SCHED_FIFO\"}",
                       "nslaunch: config.json: process.scheduler: not supported");
        expect_refused("process.ioPriority", "{\"class\": \"IOPRIO_CLASS_RT\"}",
                       "nslaunch: config.json: process.ioPriority: not supported");
        expect_refused("process.execCPUAffinity", "{\"initial\": \"0\"}",
                       "nslaunch: config.json: process.execCPUAffinity: not supported");
        expect_refused("process.user.username", "\"admin\"", "nslaunch: config.json: process.user.username: not supported");
        expect_refused("process.consoleSize", "{\"height\": 24, \"width\": 80, \"depth\": 1}",
                       "nslaunch: config.json: process.consoleSize.depth: not supported");
        expect_refused("process.rlimits", "[{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1, \"max\": 2}]",
                       "nslaunch: config.json: process.rlimits[0].max: not supported");
        expect_refused("process.user.additionalGids", "[-1]", "nslaunch: config.json: process.user.additionalGids[0]: expected a group id");
        expect_refused("process.capabilities.everything", "[]",
                       "nslaunch: config.json: process.capabilities.everything: not supported");
        expect_refused("process.capabilities.effective", "[\"CAP_FLY\"]",
                       "nslaunch: config.json: process.capabilities.effective[0]: unknown capability \"CAP_FLY\"");
        expect_refused("process.rlimits", "[{\"type\": \"RLIMIT_FLY\", \"soft\": 1, \"hard\": 1}]",
                       "nslaunch: config.json: process.rlimits[0]: RLIMIT_FLY=1:1: unknown limit 'RLIMIT_FLY'*");
        expect_refused("process.args", "[]", "nslaunch: config.json: process.args: missing (the command to run)");
        expect_refused("process.cwd", "\"tmp\"", "nslaunch: config.json: process.cwd: must be an absolute path");
}

static void linux_fields(void **state)
{
        (void)state;
        expect_refused("linux.intelRdt", "{\"closID\": \"x\"}", "nslaunch: config.json: linux.intelRdt: not supported");
        expect_refused("linux.timeOffsets", "{}", "nslaunch: config.json: linux.timeOffsets: not supported");
        expect_refused("linux.memoryPolicy", "{\"mode\": \"MPOL_BIND\"}",
                       "nslaunch: config.json: linux.memoryPolicy: not supported");
        expect_refused("linux.netDevices", "{\"eth0\": {}}", "nslaunch: config.json: linux.netDevices: not supported");
        expect_refused("linux.personality", "{\"domain\": \"LINUX32\"}",
                       "nslaunch: config.json: linux.personality.domain: only LINUX is supported");
        expect_refused("linux.personality", "{\"domain\": \"LINUX\", \"flags\": [\"ADDR_NO_RANDOMIZE\"]}",
                       "nslaunch: config.json: linux.personality.flags: not supported");
        expect_refused("linux.rootfsPropagation", "\"rbind\"",
                       "nslaunch: config.json: linux.rootfsPropagation: rbind: expected [r]private, [r]slave, "
                       "[r]shared or [r]unbindable");
        expect_refused("linux.personality", "{\"domain\": \"LINUX\", \"persona\": 1}",
                       "nslaunch: config.json: linux.personality.persona: not supported");
        expect_refused("linux.sysctl", "{\"kernel.panic\": \"1\"}",
                       "nslaunch: config.json: linux.sysctl: kernel.panic=1: kernel.panic is not namespaced*");
}

static void namespaces(void **state)
{
        (void)state;
        expect_refused("linux.namespaces+", "{\"type\": \"time\"}",
                       "nslaunch: config.json: linux.namespaces[5]: namespace type time is not supported");
        expect_refused("linux.namespaces+", "{\"type\": \"pid\"}", "nslaunch: config.json: linux.namespaces[5]: pid is listed twice");
        expect_refused("linux.namespaces+", "{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}",
                       "nslaunch: config.json: linux.namespaces[5]: joining an existing user namespace is not supported "
                       "(only network, ipc, uts and pid)");
        /* the host's IPC and UTS namespaces are joined, and never changed */
        expect_refused("linux", "{\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": {\"kernel.msgmax\": \"1\"}}",
                       "nslaunch: config.json: linux.sysctl: kernel.msgmax=1: the container has the host's IPC namespace "
                       "(none in linux.namespaces): it would change the host's");
        expect_refused("linux.namespaces+", "{\"type\": \"ipc\", \"path\": \"/proc/1/ns/ipc\"}",
                       "nslaunch: config.json: linux.namespaces[5]: ipc is listed twice");
        expect_refused("linux.namespaces", "[{\"type\": \"mount\", \"path\": \"/proc/1/ns/mnt\"}]",
                       "nslaunch: config.json: linux.namespaces[0]: joining an existing mount namespace is not supported "
                       "(only network, ipc, uts and pid)");
        expect_refused("linux.namespaces", "[{\"type\": \"pid\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}]",
                       "nslaunch: config.json: linux.namespaces: no mount namespace: sharing the host's is not supported");
        expect_refused("linux.namespaces+", "{\"type\": \"network\", \"flags\": 1}",
                       "nslaunch: config.json: linux.namespaces[5].flags: not supported");
        expect_refused("linux.uidMappings", "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]",
                       "nslaunch: config.json: linux.uidMappings: given without a user namespace");
}

static void the_hosts_uts_namespace_is_never_renamed(void **state)
{
        static const char config[] =
                "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}, \"hostname\": \"renamed\","
                " \"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\"},"
                " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"ipc\"}]}}";
        char line[1200];
        (void)state;

        assert_true(load_and_translate(config, NULL, NULL, line, sizeof line) < 0);
        assert_string_equal(line, "nslaunch: config.json: hostname: the container has the host's UTS namespace "
                                  "(none in linux.namespaces): it would rename the host");
}

static void devices(void **state)
{
        char line[1200];
        char *text = config_with("linux.devices", "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
                                                  "\"minor\": 229, \"fileMode\": 8630, \"uid\": 0, \"gid\": 0},"
                                                  "{\"path\": \"/dev/sda\", \"type\": \"b\", \"major\": 8, "
                                                  "\"minor\": 0}]");
        (void)state;

        /* made by root, found as the host's nodes rootless: at plan time (test_devices.py) */
        assert_int_equal(load_and_translate(text, NULL, NULL, line, sizeof line), 0);
        free(text);
        text = config_with("linux.devices", "[{\"path\": \"/dev/fifo\", \"type\": \"p\", \"fileMode\": 4534}]");
        assert_int_equal(load_and_translate(text, NULL, NULL, line, sizeof line), 0);
        free(text);
        expect_refused("linux.devices", "[{\"path\": \"/dev/x\", \"type\": \"s\"}]",
                       "nslaunch: config.json: linux.devices[0]: device /dev/x: type s: expected c, u, b or p");
        expect_refused("linux.devices", "[{\"path\": \"/dev/fifo\", \"type\": \"p\", \"fileMode\": 8630}]",
                       "nslaunch: config.json: linux.devices[0]: device /dev/fifo: fileMode 20666 is not a FIFO's");
        expect_refused("linux.devices", "[{\"type\": \"c\", \"major\": 1, \"minor\": 3}]",
                       "nslaunch: config.json: linux.devices[0]: path is required");
        expect_refused("linux.devices", "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10}]",
                       "nslaunch: config.json: linux.devices[0]: major and minor are required");
        expect_refused("linux.devices", "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
                                        "\"minor\": 229, \"fileMode\": 25014}]",
                       "nslaunch: config.json: linux.devices[0]: device /dev/fuse: fileMode 60666 is not a "
                       "character device's");
        expect_refused("linux.devices", "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
                                        "\"minor\": 229, \"access\": \"rwm\"}]",
                       "nslaunch: config.json: linux.devices[0].access: *");
        expect_refused("linux.devices", "[{\"path\": \"dev/fuse\", \"type\": \"c\", \"major\": 10, "
                                        "\"minor\": 229}]",
                       "nslaunch: config.json: linux.devices[0]: dev/fuse: must be an absolute path other than / "
                       "without '..'");
}

static void resources(void **state)
{
        (void)state;
        /* kernel (deprecated) is accepted, kernelTCP, swappiness and disableOOMKiller are carried
         * out (v1; refused on v2 when the cgroup is made): only their values are checked here */
        expect_refused("linux.resources.memory.swappiness", "101",
                       "nslaunch: config.json: linux.resources.memory.swappiness: 101: expected 0 to 100");
        expect_refused("linux.resources.memory.disableOOMKiller", "1", "nslaunch: config.json: *");
        /* realtime: carried out on cgroup v1 (refused on v2 when the cgroup is made) */
        expect_refused("linux.resources.cpu.realtimeRuntime", "-2",
                       "nslaunch: config.json: linux.resources.cpu.realtimeRuntime: expected an integer from -1 to *");
        expect_refused("linux.resources.cpu", "{\"realtimeRuntime\": 2000, \"realtimePeriod\": 1000}",
                       "nslaunch: config.json: linux.resources.cpu.realtimeRuntime: 2000/1000: "
                       "expected a runtime no longer than its period");
        expect_refused("linux.resources.cpu.idle", "1", "nslaunch: config.json: linux.resources.cpu.idle: not supported");
        expect_refused("linux.resources.cpu.burst", "1000", "nslaunch: config.json: linux.resources.cpu.burst: not supported");
        expect_refused("linux.resources.memory.checkBeforeUpdate", "true",
                       "nslaunch: config.json: linux.resources.memory.checkBeforeUpdate: not supported");
        expect_refused("linux.resources.memory.high", "1", "nslaunch: config.json: linux.resources.memory.high: not supported");
        expect_refused("linux.resources.pids.max", "1", "nslaunch: config.json: linux.resources.pids.max: not supported");
        expect_refused("linux.resources.blockIO.leafWeight", "10",
                       "nslaunch: config.json: linux.resources.blockIO.leafWeight: not supported");
        expect_refused("linux.resources.blockIO.weightDevice", "[{\"major\": 8, \"minor\": 0, \"weight\": 10}]",
                       "nslaunch: config.json: linux.resources.blockIO.weightDevice: not supported");
        /* the throttles: carried out, each entry checked */
        expect_refused("linux.resources.blockIO.throttleWriteIOPSDevice", "[{\"major\": 8, \"minor\": 0}]",
                       "nslaunch: config.json: linux.resources.blockIO.throttleWriteIOPSDevice[0]: expected major, "
                       "minor and rate");
        expect_refused("linux.resources.blockIO.throttleReadIOPSDevice", "[{\"major\": -1, \"minor\": 0, \"rate\": 1}]",
                       "nslaunch: config.json: linux.resources.blockIO.throttleReadIOPSDevice[0].major: *");
        expect_refused("linux.resources.blockIO.throttleWriteBpsDevice", "[{\"major\": 8, \"minor\": 0, \"rate\": 1, "
                       "\"weight\": 1}]", "nslaunch: config.json: linux.resources.blockIO.throttleWriteBpsDevice[0].weight: *");
        expect_refused("linux.resources.blockIO.throttleWriteBpsDevice", "{}",
                       "nslaunch: config.json: linux.resources.blockIO.throttleWriteBpsDevice: *");
        expect_refused("linux.resources.devices", "[{\"allow\": true, \"access\": \"rwm\", \"path\": \"/dev/x\"}]",
                       "nslaunch: config.json: linux.resources.devices[0].path: not supported");
        expect_refused("linux.resources.blockIO.weight", "5",
                       "nslaunch: config.json: linux.resources.blockIO.weight: 5: expected 10 to 1000");
        expect_refused("linux.resources.blockIO.weight", "1001",
                       "nslaunch: config.json: linux.resources.blockIO.weight: expected an integer from 0 to 1000");
        /* hugepageLimits: carried out (cgroup v2; refused on v1 when the cgroup is made) */
        expect_refused("linux.resources.hugepageLimits", "[{\"pageSize\": \"2MB\", \"limit\": 0}, {\"pageSize\": \"2M\", \"limit\": 0}]",
                       "nslaunch: config.json: linux.resources.hugepageLimits[1]: 2M: expected a page size like 2MB or 1GB");
        expect_refused("linux.resources.hugepageLimits", "[{\"pageSize\": \"2MB\"}]",
                       "nslaunch: config.json: linux.resources.hugepageLimits[0]: expected pageSize and limit");
        expect_refused("linux.resources.hugepageLimits", "[{\"pageSize\": \"2MB\", \"limit\": -1}]",
                       "nslaunch: config.json: linux.resources.hugepageLimits[0].limit: *");
        expect_refused("linux.resources.hugepageLimits", "[{\"pageSize\": \"2MB\", \"limit\": 0, \"rsvd\": 1}]",
                       "nslaunch: config.json: linux.resources.hugepageLimits[0].rsvd: *");
        expect_refused("linux.resources.network", "{\"classID\": 1}",
                       "nslaunch: config.json: linux.resources.network: not supported");
        expect_refused("linux.resources.rdma", "{\"mlx5_1\": {}}", "nslaunch: config.json: linux.resources.rdma: not supported");
        /* unified: carried out (refused on v1 when the cgroup is made); names and values checked here */
        expect_refused("linux.resources.unified", "{\"memory.high\": \"1M\", \"cgroup.procs\": \"1\"}",
                       "nslaunch: config.json: linux.resources.unified.cgroup.procs: cgroup.procs: nslaunch's own: "
                       "it moves, freezes or ends the sandbox's processes, or changes how the cgroup hands "
                       "controllers down");
        expect_refused("linux.resources.unified", "{\"cgroup.subtree_control\": \"+memory\"}",
                       "nslaunch: config.json: linux.resources.unified.cgroup.subtree_control: *");
        expect_refused("linux.resources.unified", "{\"cgroup.kill\": \"1\"}",
                       "nslaunch: config.json: linux.resources.unified.cgroup.kill: *");
        expect_refused("linux.resources.unified", "{\"../memory.max\": \"1\"}",
                       "nslaunch: config.json: linux.resources.unified.../memory.max: ../memory.max: not a cgroup "
                       "interface file name (CONTROLLER.FILE: a-z, 0-9, '_' and inner dots)");
        /* a key holding '=' is checked whole, never split into another name and value */
        expect_refused("linux.resources.unified", "{\"memory.high=x\": \"1\"}",
                       "nslaunch: config.json: linux.resources.unified.memory.high=x: memory.high=x: not a cgroup "
                       "interface file name (CONTROLLER.FILE: a-z, 0-9, '_' and inner dots)");
        expect_refused("linux.resources.unified", "{\"memory\": \"1\"}",
                       "nslaunch: config.json: linux.resources.unified.memory: memory: not a cgroup *");
        expect_refused("linux.resources.unified", "{\"memory.high\": 1}",
                       "nslaunch: config.json: linux.resources.unified.memory.high: expected a string");
        expect_refused("linux.resources.unified", "{\"memory.high\": \"1\\n2\"}",
                       "nslaunch: config.json: linux.resources.unified.memory.high: memory.high: the value holds a "
                       "control character (one line, written as it is)");
}

static void mounts(void **state)
{
        (void)state;
        expect_refused("mounts+", "{\"destination\": \"/data\", \"type\": \"overlay\", \"source\": \"overlay\"}",
                       "nslaunch: config.json: mounts[1]: overlay at /data is not supported");
        expect_refused("mounts+", "{\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\"}",
                       "nslaunch: config.json: mounts[1]: sysfs at /sys: a writable sysfs is not supported");
        expect_refused("mounts+", "{\"destination\": \"/x\", \"type\": \"proc\", \"source\": \"proc\"}",
                       "nslaunch: config.json: mounts[1]: proc at /x is not supported");
        expect_refused("mounts+", "{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/srv\", \"options\": [\"rbind\", \"mand\"]}",
                       "nslaunch: config.json: mounts[1]: bind /srv at /d: option mand is not supported");
        expect_refused("mounts+", "{\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nr_inodes=9\"]}",
                       "nslaunch: config.json: mounts[1]: tmpfs at /t: option nr_inodes=9 is not supported");
        expect_refused("mounts+", "{\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\"}",
                       "nslaunch: config.json: mounts[1]: a part of /dev without a tmpfs at /dev is not supported");
        expect_refused("mounts+", "{\"destination\": \"/d\", \"type\": \"bind\", \"source\": \"/srv\", \"uidMappings\": []}",
                       "nslaunch: config.json: mounts[1].uidMappings: not supported");
}

static void seccomp(void **state)
{
        (void)state;
        expect_refused("linux.seccomp", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": "
                       "[\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                       "nslaunch: config.json: linux.seccomp.listenerPath: SCMP_ACT_NOTIFY hands calls to a seccomp "
                       "agent, whose socket this names: missing");
        expect_refused("linux.seccomp", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"run/agent.sock\", "
                       "\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                       "nslaunch: config.json: linux.seccomp.listenerPath: expected an absolute path");
        expect_refused("linux.seccomp", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": 7}",
                       "nslaunch: config.json: linux.seccomp.listenerMetadata: expected a string");
}

static void hooks(void **state)
{
        (void)state;
        expect_refused("hooks.prestop", "[]", "nslaunch: config.json: hooks.prestop: not supported");
        expect_refused("hooks.prestart", "[{\"path\": \"/bin/true\", \"shell\": true}]",
                       "nslaunch: config.json: hooks.prestart[0].shell: not supported");
        expect_refused("hooks.poststop", "[{\"path\": \"true\"}]",
                       "nslaunch: config.json: hooks.poststop[0]: path must be an absolute path");
}

/* nslaunch's own annotations: config_with would split their dotted keys. */
static void expect_annotations_refused(const char *namespaces_json, const char *annotations_json,
                                       const char *line_expected)
{
        char text[2048], line[1200];

        snprintf(text, sizeof text,
                 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                 " \"process\": {\"args\": [\"/bin/true\"], \"cwd\": \"/\"},"
                 " \"linux\": {\"namespaces\": %s}, \"annotations\": %s}",
                 namespaces_json, annotations_json);
        assert_true(load_and_translate(text, NULL, NULL, line, sizeof line) < 0);
        assert_string_equal(line, line_expected);
}

static void nslaunch_annotations(void **state)
{
        const char *own = "[{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},"
                          " {\"type\": \"network\"}]";
        (void)state;
        expect_annotations_refused(own, "{\"org.nslaunch.egress\": \"host-loopback:80\"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.egress: not an annotation nslaunch "
                                   "knows (network, allow-egress, dns, allow)");
        expect_annotations_refused(own, "{\"org.nslaunch.allow\": \"keyrings, host-loopback:80\"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.allow: host-loopback:80: not "
                                   "something nslaunch refuses (nested-userns, keyrings)");
        expect_annotations_refused(own, "{\"org.nslaunch.allow\": \" \"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.allow: an empty list");
        expect_annotations_refused(own, "{\"org.nslaunch.network\": \"host\"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.network: host: expected none or "
                                   "private");
        expect_annotations_refused(own, "{\"org.nslaunch.dns\": \"\"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.dns: an empty list");
        expect_annotations_refused(own, "{\"org.nslaunch.dns\": \"10.0.2.3,,10.0.2.4\"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.dns: an empty item in the list");
        expect_annotations_refused(own, "{\"org.nslaunch.network\": \"none\", \"org.nslaunch.allow-egress\": "
                                        "\"10.1.2.3:80\"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.network: none, but allow-egress "
                                   "and dns give a private network");
        expect_annotations_refused(own, "{\"org.nslaunch.dns\": \"resolver.example\"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.dns: resolver.example: expected "
                                   "a resolver's IPv4 or IPv6 address (a name would need a resolver)");
        expect_annotations_refused("[{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\"}, "
                                   "{\"type\": \"uts\"}]",
                                   "{\"org.nslaunch.allow-egress\": \"10.1.2.3:80\"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.allow-egress: the container has "
                                   "the host's network: a network namespace of its own is needed (linux.namespaces)");
        expect_annotations_refused("[{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\"}, "
                                   "{\"type\": \"uts\"}, {\"type\": \"network\", \"path\": \"/proc/self/ns/net\"}]",
                                   "{\"org.nslaunch.network\": \"private\"}",
                                   "nslaunch: config.json: annotations.org.nslaunch.network: the container joins a "
                                   "network namespace (linux.namespaces): its network is the engine's");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(minimal_config_is_accepted),
                cmocka_unit_test(top_level),
                cmocka_unit_test(process_security_labels),
                cmocka_unit_test(process_fields),
                cmocka_unit_test(linux_fields),
                cmocka_unit_test(namespaces),
                cmocka_unit_test(the_hosts_uts_namespace_is_never_renamed),
                cmocka_unit_test(devices),
                cmocka_unit_test(resources),
                cmocka_unit_test(mounts),
                cmocka_unit_test(seccomp),
                cmocka_unit_test(hooks),
                cmocka_unit_test(nslaunch_annotations),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
