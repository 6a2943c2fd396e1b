"""Run a command as on a machine that refuses unprivileged user namespaces.

``python tests/sandbox/no_userns.py CMD ARGS...`` installs a seccomp filter, inherited by every
process CMD starts, that answers EPERM to ``unshare`` and ``clone`` with CLONE_NEWUSER (as Debian's
``kernel.unprivileged_userns_clone=0`` or Docker's default profile do) and ENOSYS to ``clone3``
(its flags cannot be inspected; the C library then falls back to ``clone``), then executes CMD.
The sandbox mode tests use it to force the no-namespace path where the machine allows namespaces.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from copilot.sandbox.layers import CLONE_NEWUSER, SCMP_CMP_MASKED_EQ, SeccompFilter  # noqa: E402


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit("usage: no_userns.py CMD [ARGS...]")
    rules = SeccompFilter()
    for name in ("unshare", "clone"):
        rules.refuse(name, errno.EPERM, (0, SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
    rules.refuse("clone3", errno.ENOSYS)
    rules.load()  # libseccomp sets no_new_privs first, as an unprivileged filter requires
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
