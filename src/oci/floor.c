/* What nslaunch refuses a confined container beyond its config: two ways
 * out that `nslaunch run`'s own filter and Docker's default profile close,
 * and podman's default profile leaves open.
 *
 * - Nested user namespaces (a fresh set of capabilities over new
 *   namespaces, the door most kernel exploits of a container walk
 *   through), unless the container holds CAP_SYS_ADMIN, as Docker's
 *   profile draws the line. They are refused by a limit of 0 in the
 *   container's own user namespace (user.max_user_namespaces), which
 *   clone3 cannot get round as it gets round a filter on clone's flags.
 *   Writing it back takes CAP_SYS_RESOURCE over that namespace (engines
 *   grant it only when asked) and a writable /proc/sys (engines list it
 *   in readonlyPaths, and a fresh procfs needs CAP_SYS_ADMIN).
 * - The kernel's keyrings (add_key, keyctl, request_key), whose quotas
 *   are the host uid's, shared by every container of that uid.
 *
 * A config with no seccomp filter asked for no confinement (podman
 * --privileged, seccomp=unconfined) and gets none of this; the annotation
 * org.nslaunch.allow lifts either for one container. */
#include <errno.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <string.h>

#include "../cleanup.h"
#include "../error.h"
#include "oci.h"

#define NO_NESTED_USERNS "user.max_user_namespaces=0"

static const char *const keyring_calls[] = { "add_key", "keyctl", "request_key" };

static bool is_keyring_call(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(keyring_calls); i++)
                if (name && !strcmp(name, keyring_calls[i]))
                        return true;
        return false;
}

/* Whether a profile's action can let the call through: ALLOW and LOG do,
 * TRACE lets a tracer in the container decide, NOTIFY a listener. */
static bool action_refuses(json_object *action)
{
        static const char *const refusing[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                                "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO" };
        const char *name = json_object_get_string(action);

        for (size_t i = 0; name && i < ELEMENTSOF(refusing); i++)
                if (!strcmp(name, refusing[i]))
                        return true;
        return false;
}

/* The keyring calls answered with EPERM, as Docker's profile answers them;
 * NULL when out of memory. */
static json_object *keyring_rule(void)
{
        json_object *rule = json_tokener_parse("{\"names\": [], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}");
        json_object *names = json_object_object_get(rule, "names");

        for (size_t i = 0; names && i < ELEMENTSOF(keyring_calls); i++) {
                json_object *name = json_object_new_string(keyring_calls[i]);
                if (!name || json_object_array_add(names, name) < 0) {
                        json_object_put(name);
                        names = NULL;
                }
        }
        if (!names)
                json_object_put(rule);
        return names ? rule : NULL;
}

/* The keyring calls out of a rule that would let them through; true when
 * nothing is left of it. Shapes the profile parser refuses stay as they
 * are, for it to name. */
static bool drop_keyring_calls(json_object *rule)
{
        json_object *names = json_object_object_get(rule, "names");

        if (action_refuses(json_object_object_get(rule, "action")))
                return false;
        if (!names)
                return is_keyring_call(json_object_get_string(json_object_object_get(rule, "name")));
        if (!json_object_is_type(names, json_type_array) || json_object_array_length(names) == 0)
                return false;
        for (size_t i = json_object_array_length(names); i-- > 0;)
                if (is_keyring_call(json_object_get_string(json_object_array_get_idx(names, i))))
                        json_object_array_del_idx(names, i, 1);
        return json_object_array_length(names) == 0;
}

static int refuse_keyring_calls(json_object *seccomp, nsl_error *error)
{
        json_object *rules = json_object_object_get(seccomp, "syscalls");

        if (rules && !json_object_is_type(rules, json_type_array))
                return 0;
        for (size_t i = rules ? json_object_array_length(rules) : 0; i-- > 0;) {
                json_object *rule = json_object_array_get_idx(rules, i);
                if (json_object_is_type(rule, json_type_object) && drop_keyring_calls(rule))
                        json_object_array_del_idx(rules, i, 1);
        }
        /* the calls no rule names any more meet the default: where that
         * lets them through, the rule that refuses them */
        if (action_refuses(json_object_object_get(seccomp, "defaultAction")))
                return 0;
        json_object *rule = keyring_rule();
        if (!rules) {
                rules = json_object_new_array();
                if (rules && json_object_object_add(seccomp, "syscalls", rules) < 0) {
                        json_object_put(rules);
                        rules = NULL;
                }
        }
        if (!rule || !rules || json_object_array_add(rules, rule) < 0) {
                json_object_put(rule);
                return nsl_fail(error, ENOMEM, "config.json", "linux.seccomp", NULL);
        }
        return 0;
}

int nsl_oci_floor_seccomp(json_object *seccomp, const struct nsl_oci *oci, nsl_error *error)
{
        if (oci->allow.keyrings || !json_object_is_type(seccomp, json_type_object))
                return 0;
        return refuse_keyring_calls(seccomp, error);
}

static bool sets_sysctl(const struct nsl_oci *oci, const char *assignment)
{
        size_t key_len = (size_t)(strchr(assignment, '=') - assignment) + 1;

        for (size_t i = 0; i < oci->n_sysctl; i++)
                if (!strncmp(oci->sysctl[i], assignment, key_len))
                        return true;
        return false;
}

const char *nsl_oci_floor_sysctl(const struct nsl_oci *oci)
{
        bool sys_admin = oci->process.caps[NSL_OCI_CAP_BOUNDING] & (1ULL << CAP_SYS_ADMIN);

        if (oci->seccomp_fd < 0 || oci->allow.nested_userns || sys_admin || sets_sysctl(oci, NO_NESTED_USERNS))
                return NULL;
        return NO_NESTED_USERNS;
}
