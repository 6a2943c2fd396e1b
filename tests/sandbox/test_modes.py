"""The hostile corpus and the boundary tests, again as an unprivileged user, with and without user namespaces.

The suite itself runs as whoever starts it (root in CI). These tests start a second pytest over
``test_hostile.py`` and ``test_boundary.py``:

- ``user-namespace``: as the user ``copilot-sandbox`` (made by scripts/sandbox-test-user.sh, which
  ``make test`` runs first), where the kernel grants unprivileged user namespaces;
- ``no-user-namespace``: the same under ``no_userns.py``, a seccomp filter that refuses user
  namespaces, as several distributions and container runtimes do.

``COPILOT_SANDBOX_EXPECT`` tells the inner run which mode it must find (``test_boundary.py`` checks).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from copilot.sandbox import layers

from .test_hostile import HOSTILE

ROOT = Path(__file__).resolve().parents[2]
USER = "copilot-sandbox"
NO_USERNS = Path(__file__).with_name("no_userns.py")


def _user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        return None


def _kernel_allows_user_namespaces() -> bool:
    return os.path.exists("/proc/self/ns/user")


@pytest.fixture()
def scratch():
    """A folder the inner run's user can write (pytest's own tmp_path is private to the outer user)."""
    path = Path(tempfile.mkdtemp(prefix="copilot-sandbox-modes-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("mode", [layers.USER_NAMESPACE, layers.NO_NAMESPACE])
def test_hostile_corpus_in_unprivileged_mode(mode, scratch):
    tmp_path = scratch
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
               f"--junitxml={tmp_path / 'inner.xml'}", "--basetemp", str(tmp_path / "inner"),
               "tests/sandbox/test_hostile.py", "tests/sandbox/test_boundary.py"]
    if mode == layers.NO_NAMESPACE:
        command = [sys.executable, str(NO_USERNS), *command]
    elif not _kernel_allows_user_namespaces():
        pytest.skip("this kernel has no user namespaces; the no-namespace mode covers it")
    if os.geteuid() == 0:
        user = _user()
        assert user is not None, f"no user {USER}: run scripts/sandbox-test-user.sh as root (make test does)"
        shutil.chown(tmp_path, USER, user.pw_gid)
        command = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--",
                   *command]
    elif mode == layers.USER_NAMESPACE:
        pytest.skip(f"the suite already runs unprivileged (uid {os.geteuid()}): test_hostile.py was this mode")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1",
           "COPILOT_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1", "COPILOT_SANDBOX_EXPECT": mode}
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]

    cases = ET.parse(tmp_path / "inner.xml").getroot().iter("testcase")
    contained = [c for c in cases if c.get("name", "").startswith("test_hostile_program_is_contained")
                 and not list(c)]  # no failure, error or skipped child
    print(f"{mode}: {len(contained)}/{len(HOSTILE)} hostile programs contained")
    assert len(contained) == len(HOSTILE)
