/* Tries mount and unshare, as a plugin that should not, and reports what the
 * kernel (through the filter) answered. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

int main(void)
{
        int m = mount("none", "/tmp", "tmpfs", 0, NULL);
        int m_errno = errno;
        int u = unshare(CLONE_NEWNS);
        int u_errno = errno;

        printf("mount=%d %s unshare=%d %s\n", m, m ? strerrorname_np(m_errno) : "-", u,
               u ? strerrorname_np(u_errno) : "-");
        return 0;
}
