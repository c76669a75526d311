#include "plan.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../error.h"
#include "../spec.h"
#include "route.h"

#define TUN "/dev/net/tun"

static const char *find_proxy(void)
{
        static const char *const candidates[] = { "/usr/bin/slirp4netns", "/usr/local/bin/slirp4netns" };

        for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
                if (access(candidates[i], X_OK) == 0)
                        return candidates[i];
        return NULL;
}

static bool same_destination(const struct nsl_egress *a, const struct nsl_egress *b)
{
        return a->family == b->family && a->prefix == b->prefix && a->port == b->port &&
               a->protocol == b->protocol && !memcmp(a->addr, b->addr, sizeof a->addr);
}

static int push(struct nsl_net_plan *net, const struct nsl_egress *e, const char *given, nsl_error *error)
{
        for (size_t i = 0; i < net->n_allowed; i++)
                if (same_destination(&net->allowed[i], e))
                        return 0;
        if (net->n_allowed == NSL_MAX_EGRESS)
                return nsl_fail(error, E2BIG, "--allow-egress", given, "more than %d destinations once resolved",
                                NSL_MAX_EGRESS);
        net->allowed[net->n_allowed++] = *e;
        return 0;
}

/* A name becomes one destination per address it has now: the rules hold
 * those addresses for the sandbox's life, whatever DNS says later. */
static int resolve(struct nsl_net_plan *net, const struct nsl_egress *e, nsl_error *error)
{
        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *list = NULL;
        int r = getaddrinfo(e->name, NULL, &hints, &list);

        if (r != 0)
                return nsl_fail(error, r == EAI_SYSTEM ? errno : ENOENT, "--allow-egress", e->name,
                                "cannot resolve: %s", gai_strerror(r));
        for (struct addrinfo *a = list; a && r == 0; a = a->ai_next) {
                struct nsl_egress one = *e;
                one.name[0] = '\0';
                one.family = a->ai_family;
                if (a->ai_family == AF_INET) {
                        memcpy(one.addr, &((struct sockaddr_in *)a->ai_addr)->sin_addr, 4);
                        one.prefix = 32;
                } else if (a->ai_family == AF_INET6) {
                        memcpy(one.addr, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr, 16);
                        one.prefix = 128;
                } else
                        continue;
                r = push(net, &one, e->name, error);
        }
        freeaddrinfo(list);
        return r;
}

static int plan_forward(struct nsl_net_plan *net, nsl_error *error)
{
        bool any = false;

        for (size_t i = 0; i < net->n_allowed; i++)
                any |= nsl_egress_forwarded(&net->allowed[i]);
        if (any && (nsl_nft_forward_batch(net->allowed, net->n_allowed, NSL_FORWARD_PORT, &net->forward_rules) < 0 ||
                    nsl_forward_routing(net->allowed, net->n_allowed, AF_INET, &net->forward_routes[0]) < 0 ||
                    nsl_forward_routing(net->allowed, net->n_allowed, AF_INET6, &net->forward_routes[1]) < 0))
                return nsl_fail(error, ENOMEM, "--allow-egress", "", NULL);
        return 0;
}

/* Without an allow-list every TCP destination is forwarded (but those
 * never forwarded, nsl_egress_unforwarded). */
static int plan_forward_everything(struct nsl_net_plan *net, nsl_error *error)
{
        if (!(net->allowed = calloc(2, sizeof *net->allowed)))
                return nsl_fail(error, ENOMEM, "--network", "private", NULL);
        net->allowed[0] = (struct nsl_egress){ .family = AF_INET, .protocol = IPPROTO_TCP };
        net->allowed[1] = (struct nsl_egress){ .family = AF_INET6, .protocol = IPPROTO_TCP };
        net->n_allowed = 2;
        return plan_forward(net, error);
}

static int plan_rules(const struct nsl_spec *spec, struct nsl_net_plan *net, nsl_error *error)
{
        int r = 0;

        if (!(net->allowed = calloc(NSL_MAX_EGRESS, sizeof *net->allowed)))
                return nsl_fail(error, ENOMEM, "--allow-egress", "", NULL);
        net->limited = true;
        for (size_t i = 0; i < spec->n_egress && r == 0; i++) {
                const struct nsl_egress *e = &spec->egress[i];
                net->host_loopback |= e->host_loopback;
                r = e->name[0] ? resolve(net, e, error) : push(net, e, "", error);
        }
        for (size_t i = 0; i < spec->n_dns && r == 0; i++) {
                struct nsl_egress resolver[2];
                nsl_dns_destinations(&spec->dns[i], resolver);
                if ((r = push(net, &resolver[0], "", error)) == 0)
                        r = push(net, &resolver[1], "", error);
        }
        if (r < 0)
                return r;
        if (nsl_nft_egress_batch(net->allowed, net->n_allowed, &net->rules) < 0 ||
            nsl_nflog_config(&net->log_config, &net->log_config_len) < 0)
                return nsl_fail(error, ENOMEM, "--allow-egress", "", NULL);
        return plan_forward(net, error);
}

int nsl_net_plan_build(const struct nsl_spec *spec, bool rootless, struct nsl_net_plan *net, nsl_error *error)
{
        *net = (struct nsl_net_plan){ 0 };
        if (!spec->network_private && !spec->n_egress && !spec->n_dns)
                return 0;
        if (spec->network_host)
                return nsl_fail(error, EINVAL, spec->n_egress ? "--allow-egress" : "--dns", "",
                                "needs a private network, not the host's");
        if (spec->join_ns[NSL_JOIN_NET])
                return nsl_fail(error, EINVAL, "--network", "private", "conflicts with joining a network namespace");
        net->private = true;
        net->rootless = rootless;
        if (!(net->proxy = find_proxy()))
                return nsl_fail(error, ENOENT, "--network", "private",
                                "slirp4netns is not in /usr/bin or /usr/local/bin (Debian's package slirp4netns)");
        /* slirp4netns opens it as the caller inside the sandbox's user
         * namespace, where only its mode counts */
        if (rootless && access(TUN, R_OK | W_OK) < 0)
                return nsl_fail(error, errno, "--network", TUN,
                                "slirp4netns cannot open it as this user (Debian's udev makes it mode 0666)");
        return spec->n_egress ? plan_rules(spec, net, error) : plan_forward_everything(net, error);
}

void nsl_net_plan_free(struct nsl_net_plan *net)
{
        free(net->allowed);
        free(net->rules.bytes);
        free(net->forward_rules.bytes);
        free(net->forward_routes[0].bytes);
        free(net->forward_routes[1].bytes);
        free(net->log_config);
        *net = (struct nsl_net_plan){ 0 };
}
