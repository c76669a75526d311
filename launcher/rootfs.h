#ifndef NSL_LAUNCHER_ROOTFS_H
#define NSL_LAUNCHER_ROOTFS_H

/* nslaunch rootfs ...: executes the nslaunch-rootfs helper; returns only on
 * failure, with the exit status to use. */
int nsl_cmd_rootfs(int argc, char **argv);

#endif
