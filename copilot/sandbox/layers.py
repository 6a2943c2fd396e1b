"""The kernel layers of the worker's boundary, each applied where the OS allows it and reported.

Three modes, decided by what the kernel grants the worker (docs/sandbox.md has the table):

- **root**: network + mount namespaces, an empty read-only root, then ``nobody``;
- **user namespace** (unprivileged, user namespaces allowed): the same namespaces inside a new user
  namespace, then every capability dropped;
- **no namespace** (unprivileged, user namespaces refused): files and network stay visible to the
  process, so Landlock denies every file access and TCP, and the seccomp filter denies opening
  files, sockets, exec, ptrace, mounts, namespaces and signals to other processes.

All modes also get no_new_privs, Landlock and the seccomp filter where the kernel has them.
Stdlib only (ctypes over libc and Debian's ``libseccomp.so.2``): the worker runs with ``-I -S``
and never sees site-packages.
"""

from __future__ import annotations

import ctypes
import os
import sys

TYPE_CHECKING = False  # typing costs the worker ~10 ms to import
if TYPE_CHECKING:
    from typing import Any

NOBODY = 65534
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_SIGKILL = 9
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REC, _MS_PRIVATE = 0x4000, 0x40000
_CAP_VERSION_3 = 0x20080522
# Syscall numbers shared by x86_64 and aarch64 (both use the unified numbering for new calls).
_LANDLOCK_CALLS = {"x86_64": (444, 446), "aarch64": (444, 446)}

# Report entries: the strings below name a layer that was applied; anything else says what the OS
# refused. ``strong_layers`` reads them back.
NETWORK_NAMESPACE = "network namespace"
USER_NAMESPACE = "user namespace"
MOUNT_NAMESPACE = "mount namespace"
EMPTY_ROOT = "root is an empty read-only directory"
ROOT_DROPPED = f"uid={NOBODY} (root dropped)"
CAPS_DROPPED = "capabilities dropped"
NO_NEW_PRIVS = "no_new_privs"
LANDLOCK = "landlock"
SECCOMP = "seccomp"
ROOT_MODE, NO_NAMESPACE = "root", "no namespace"  # the third mode is USER_NAMESPACE

# What the seccomp filter refuses (EPERM) after isolation: the worker needs none of it, because it
# only computes, writes to its pipes and exits. Names unknown on this architecture are skipped.
DENIED_SYSCALLS = (
    # files: nothing is opened, created, renamed or changed once the program may run
    "open", "openat", "openat2", "creat", "open_by_handle_at", "name_to_handle_at", "mkdir", "mkdirat",
    "mknod", "mknodat", "unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2", "link", "linkat",
    "symlink", "symlinkat", "truncate", "chmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchownat",
    "setxattr", "lsetxattr", "removexattr", "lremovexattr", "utime", "utimes", "utimensat", "futimesat",
    "memfd_create",
    # network and other processes
    "socket", "socketpair", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_open",
    "pidfd_getfd", "pidfd_send_signal", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    # new programs and processes (RLIMIT_NPROC already stops fork; this holds for root too)
    "execve", "execveat", "fork", "vfork", "clone", "clone3",
    # mounts, namespaces, roots
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "mount_setattr",
    # kernel attack surface no computation needs
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "personality", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct", "quotactl",
)
_SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_NE, SCMP_CMP_MASKED_EQ = 1, 7


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]


class _LandlockAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


_LIBC: list[Any] = []


def _libc() -> Any:
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
        _LIBC[0].syscall.restype = ctypes.c_long
    return _LIBC[0]


def _error() -> str:
    return os.strerror(ctypes.get_errno())


def _linux(name: str) -> str | None:
    return None if sys.platform.startswith("linux") else f"no {name} (not on {sys.platform})"


def unshare_namespaces() -> list[str]:
    """New network and mount namespaces; as an ordinary user, inside a new user namespace."""
    refused = _linux("namespaces")
    if refused:
        return [refused]
    libc = _libc()
    if libc.unshare(CLONE_NEWNET | CLONE_NEWNS) == 0:
        return [NETWORK_NAMESPACE, MOUNT_NAMESPACE]
    first = _error()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS) == 0:
        return [USER_NAMESPACE, NETWORK_NAMESPACE, MOUNT_NAMESPACE]
    return [f"no namespaces (unshare refused: {first}; with a user namespace: {_error()})"]


def empty_root(mount_namespace: bool) -> str:
    """Make the working directory the root; in a mount namespace, first cover it with an empty
    read-only tmpfs, so nothing (not even a directory to chroot into again) can be created there."""
    if not hasattr(os, "chroot"):
        return "no chroot (not on this OS)"
    where = os.getcwd()
    if mount_namespace:
        libc = _libc()
        if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0 or libc.mount(
                b"copilot-sandbox", where.encode(), b"tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                b"size=4k,mode=0555") != 0:
            return f"no chroot (mounting the empty root refused: {_error()})"
        os.chdir(where)  # onto the new mount
    try:
        os.chroot(".")
        os.chdir("/")
    except OSError as exc:
        return f"no chroot (refused: {exc.strerror})"
    return EMPTY_ROOT


def drop_privileges(user_namespace: bool) -> str:
    """Root becomes ``nobody``; in a user namespace the (namespace-wide) capabilities are dropped."""
    if os.geteuid() == 0 and not user_namespace:
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        except OSError as exc:
            return f"still root (setuid refused: {exc.strerror})"
        return ROOT_DROPPED
    if user_namespace:
        header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
        data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all empty
        if _libc().capset(header, data) != 0:
            return f"capabilities kept (capset refused: {_error()})"
        return CAPS_DROPPED
    return f"uid={os.geteuid()} (not root: kept)"


def prctl(option: int, value: int, name: str) -> str:
    refused = _linux(name)
    if refused:
        return refused
    if _libc().prctl(option, value, 0, 0, 0) != 0:
        return f"{name} refused ({_error()})"
    return name


def no_new_privs() -> str:
    return prctl(_PR_SET_NO_NEW_PRIVS, 1, NO_NEW_PRIVS)


def parent_death_signal() -> str:
    return prctl(_PR_SET_PDEATHSIG, _SIGKILL, "parent_death_signal")


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where it has none (or this architecture is not known)."""
    calls = _LANDLOCK_CALLS.get(os.uname().machine) if sys.platform.startswith("linux") else None
    if calls is None:
        return 0
    version = _libc().syscall(ctypes.c_long(calls[0]), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def landlock() -> str:
    """A Landlock domain with no rules: no file can be opened or created, no TCP port bound or
    reached, and (ABI 6) no signal or abstract socket reaches a process outside the sandbox."""
    abi = landlock_abi()
    if abi < 1:
        return "no landlock (the kernel has none)"
    fs = (1 << {1: 13, 2: 14, 3: 15, 4: 15}.get(abi, 16)) - 1  # every filesystem right this ABI knows
    attr = _LandlockAttr(fs, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    create, restrict = _LANDLOCK_CALLS[os.uname().machine]
    libc = _libc()
    fd = libc.syscall(ctypes.c_long(create), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if fd < 0:
        return f"no landlock (refused: {_error()})"
    try:
        if libc.syscall(ctypes.c_long(restrict), ctypes.c_long(fd), ctypes.c_uint32(0)) != 0:
            return f"no landlock (refused: {_error()})"
    finally:
        os.close(fd)
    covers = ["files"] + (["tcp"] if abi >= 4 else []) + (["signals", "abstract sockets"] if abi >= 6 else [])
    return f"{LANDLOCK} abi {abi}: {', '.join(covers)}"


class SeccompFilter:
    """A libseccomp filter that allows every call except those it is told to refuse."""

    def __init__(self) -> None:
        try:
            self.lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
        except OSError as exc:
            raise OSError(f"libseccomp.so.2 not found ({exc}); install Debian's libseccomp2") from None
        self.lib.seccomp_init.restype = ctypes.c_void_p
        self.lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                                    ctypes.POINTER(_ArgCmp)]
        self.lib.seccomp_load.argtypes = self.lib.seccomp_release.argtypes = [ctypes.c_void_p]
        self.ctx = self.lib.seccomp_init(_SCMP_ACT_ALLOW)
        self.count = 0
        if not self.ctx:
            raise OSError("seccomp_init failed")

    def refuse(self, name: str, errno: int = 1, *conditions: tuple[int, int, int, int]) -> bool:
        """Answer ``errno`` to ``name`` when every ``(arg, op, a, b)`` condition holds (libseccomp's
        ``scmp_arg_cmp``; ``SCMP_CMP_NE``, ``SCMP_CMP_MASKED_EQ``); False where this arch has no such call."""
        number = self.lib.seccomp_syscall_resolve_name(name.encode())
        if number < 0:
            return False
        array = (_ArgCmp * max(len(conditions), 1))(*(_ArgCmp(*c) for c in conditions))
        code = self.lib.seccomp_rule_add_array(self.ctx, 0x00050000 | (errno & 0xFFFF), number, len(conditions),
                                               array)
        if code < 0:
            raise OSError(f"seccomp rule for {name} refused: {os.strerror(-code)}")
        self.count += 1
        return True

    def load(self) -> None:
        try:
            code = self.lib.seccomp_load(self.ctx)
            if code < 0:
                raise OSError(f"loading the filter refused: {os.strerror(-code)}")
        finally:
            self.lib.seccomp_release(self.ctx)


def seccomp_filter() -> SeccompFilter | str:
    """The worker's filter (``DENIED_SYSCALLS``; signals and limits only for itself), built before
    the root becomes empty (libseccomp cannot be loaded after that); or why there is none."""
    refused = _linux("seccomp")
    if refused:
        return refused
    pid = os.getpid()
    try:
        rules = SeccompFilter()
        for name in DENIED_SYSCALLS:
            rules.refuse(name)
        for name, only in (("kill", pid), ("tgkill", pid), ("prlimit64", 0)):
            rules.refuse(name, 1, (0, SCMP_CMP_NE, only, 0))  # unless aimed at the worker itself
    except OSError as exc:
        return f"no seccomp ({exc})"
    return rules


def load_seccomp(rules: SeccompFilter | str) -> str:
    if isinstance(rules, str):
        return rules
    try:
        rules.load()
    except OSError as exc:
        return f"no seccomp ({exc})"
    return f"{SECCOMP}: {rules.count} calls refused (files, sockets, exec, fork, ptrace, mounts, namespaces)"


def mode(report: list[str] | tuple[str, ...]) -> str:
    """Which of the three modes a worker's report shows: ``root``, ``user namespace``, ``no namespace``."""
    if ROOT_DROPPED in report:
        return ROOT_MODE
    return USER_NAMESPACE if USER_NAMESPACE in report else NO_NAMESPACE


def _applied(report: list[str] | tuple[str, ...], layer: str) -> bool:
    return any(entry.startswith(layer) for entry in report)


def strong_layers(report: list[str] | tuple[str, ...]) -> tuple[bool, str]:
    """Whether kernel layers, not only the policy and the rlimits, keep a program from files and
    from the network; and a line that says which of the two lacks them."""
    files = any(_applied(report, layer) for layer in (EMPTY_ROOT, LANDLOCK, SECCOMP))
    network = any(_applied(report, layer) for layer in (NETWORK_NAMESPACE, SECCOMP))
    missing = [name for name, ok in (("files", files), ("network", network)) if not ok]
    if not missing:
        return True, "kernel layers keep programs from files and the network"
    return False, f"only the policy and the rlimits keep programs from {' and '.join(missing)}"

