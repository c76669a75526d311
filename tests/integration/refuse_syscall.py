"""python3 refuse_syscall.py NAME ERRNO CMD [ARG...]: runs CMD under a
seccomp filter that answers the syscall NAME with ERRNO (a number) and
allows the rest, the way a container's profile around nslaunch would.
libseccomp through ctypes: no compiler needed (compiling under the VM
matrix's emulation takes seconds per program)."""

import ctypes
import os
import sys

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_ERRNO = 0x00050000


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: refuse_syscall.py NAME ERRNO CMD [ARG...]")
    name, errnum, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    nr = lib.seccomp_syscall_resolve_name(name.encode())
    if nr < 0:
        sys.exit(f"refuse_syscall.py: unknown syscall {name}")
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        sys.exit("refuse_syscall.py: seccomp_init failed")
    r = lib.seccomp_rule_add(ctx, SCMP_ACT_ERRNO | (errnum & 0xFFFF), nr, 0)
    if r == 0:
        r = lib.seccomp_load(ctx)
    if r != 0:
        sys.exit(f"refuse_syscall.py: {os.strerror(-r)}")
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main()
