"""The OS boundary on its own: a worker process that skips the policy layer still cannot do harm.

These tests run arbitrary (unrestricted) Python after ``isolate()``, as an escape from the policy
layer would, and check what the process can still reach, in whichever mode this run is (root, user
namespace, no namespace: see test_modes.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
from pathlib import Path

from copilot.sandbox import layers
from copilot.sandbox.session import launch_worker, worker_environment


def _run(script: str, *args: str, cwd) -> subprocess.CompletedProcess:
    """Run a script as a worker is started (one launch helper for both), its output captured."""
    proc = launch_worker(script, *args, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


ESCAPED = r'''
import json, os, socket, sys
sys.path.insert(0, sys.argv[1])
from copilot.sandbox.worker import isolate
out = {}

def attempt(name, action):
    try:
        out[name] = ["ok", action()]
    except BaseException as exc:
        out[name] = ["refused", type(exc).__name__]

def connect():
    with socket.socket() as s:
        s.settimeout(2)
        s.connect((b"127.0.0.1", int(sys.argv[2])))  # bytes: no codec lookup needed after the chroot

attempt("connect_before", connect)  # controls: the same actions work before isolation
attempt("passwd_before", lambda: open("/etc/passwd").read()[:5])
out["report"] = isolate({"cpu_s": 5, "memory_mb": 256, "max_open_files": 16, "max_file_bytes": 0}, [])
out["env"] = dict(os.environ)
attempt("connect", connect)
attempt("write", lambda: open(sys.argv[3], "w").write("pwned"))
attempt("passwd", lambda: open("/etc/passwd").read()[:10])
attempt("parent_environ", lambda: open(f"/proc/{os.getppid()}/environ", "rb").read().decode("latin-1"))
attempt("fork", lambda: os.waitpid(os.fork() or os._exit(0), 0) and None)
attempt("allocate", lambda: len(bytearray(300 << 20)))
print(json.dumps(out))
'''


def _escaped_worker(canary: Path, port: int) -> dict:
    workdir = tempfile.mkdtemp(prefix="copilot-sandbox-test-")
    try:
        proc = _run(ESCAPED, str(port), str(canary), cwd=workdir)
    finally:
        os.rmdir(workdir)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_escaped_code_is_still_contained(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-boundary-secret")
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        out = _escaped_worker(tmp_path / "canary", listener.getsockname()[1])
    finally:
        listener.close()
    report = out["report"]

    assert "sk-test-boundary-secret" not in json.dumps(out)
    assert set(out["env"]) <= set(worker_environment()) | {"LC_CTYPE"}
    assert out["allocate"] == ["refused", "MemoryError"]
    assert out["connect_before"][0] == out["passwd_before"][0] == "ok"
    strong, why = layers.strong_layers(report)
    assert strong, why  # Linux with seccomp, Landlock or namespaces: every mode of CI has them
    for action in ("connect", "write", "passwd", "parent_environ", "fork"):
        assert out[action][0] == "refused", (action, out[action], report)
    assert not (tmp_path / "canary").exists()


def test_each_mode_gets_its_layers():
    report = _isolation_report(["statistics"])
    mode = layers.mode(report)
    expected = os.environ.get("COPILOT_SANDBOX_EXPECT")  # set by test_modes.py for its inner runs
    assert mode == (expected or (layers.ROOT_MODE if os.geteuid() == 0 else mode)), report
    for limit in ("rlimit_core=0", "rlimit_fsize=0", "rlimit_nofile=16", "rlimit_nproc=0",
                  f"rlimit_as={256 << 20}", "rlimit_cpu=2"):
        assert limit in report
    assert {layers.NO_NEW_PRIVS, "parent_death_signal"} <= set(report)
    if mode == layers.ROOT_MODE:
        assert {layers.NETWORK_NAMESPACE, layers.MOUNT_NAMESPACE, layers.EMPTY_ROOT, layers.ROOT_DROPPED} <= set(report)
    elif mode == layers.USER_NAMESPACE:
        assert {layers.NETWORK_NAMESPACE, layers.MOUNT_NAMESPACE, layers.EMPTY_ROOT, layers.CAPS_DROPPED} <= set(report)
    else:  # what an unprivileged process can still do for itself
        assert any(e.startswith(layers.SECCOMP) for e in report), report
        if layers.landlock_abi():
            assert any(e.startswith(layers.LANDLOCK) for e in report), report


SINGLE_LAYER = r'''
import json, os, socket, sys
sys.path.insert(0, sys.argv[1])
from copilot.sandbox import layers
layers.no_new_privs()  # Landlock needs it without CAP_SYS_ADMIN, as in the worker
out = {"applied": layers.landlock() if sys.argv[2] == "landlock" else layers.load_seccomp(layers.seccomp_filter())}
for name, action in (("open", lambda: open("/etc/hostname").read()), ("socket", lambda: socket.socket().close()),
                     ("mkdir", lambda: os.mkdir("made-here"))):
    try:
        action()
        out[name] = "ok"
    except OSError as exc:
        out[name] = type(exc).__name__
print(json.dumps(out))
'''


def test_landlock_and_seccomp_each_hold_on_their_own(tmp_path):
    """Each layer alone, in an unisolated child: neither depends on the other (or on a chroot)."""
    outcomes = {}
    for layer in ("landlock", "seccomp"):
        proc = _run(SINGLE_LAYER, layer, cwd=tmp_path)
        outcomes[layer] = json.loads(proc.stdout)
    assert outcomes["seccomp"]["applied"].startswith(layers.SECCOMP)
    assert outcomes["seccomp"] | {"applied": ""} == {"applied": "", "open": "PermissionError",
                                                     "socket": "PermissionError", "mkdir": "PermissionError"}
    if layers.landlock_abi() == 0:
        assert outcomes["landlock"]["applied"].startswith("no landlock")
        return
    assert outcomes["landlock"]["applied"].startswith(layers.LANDLOCK)
    assert outcomes["landlock"]["open"] == outcomes["landlock"]["mkdir"] == "PermissionError"
    assert outcomes["landlock"]["socket"] == "ok"  # Landlock restricts TCP ports, not socket creation
    assert not (tmp_path / "made-here").exists()


def _isolation_report(preload: list[str]) -> list[str]:
    # Run in a throwaway child: isolate() changes the process it runs in.
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from copilot.sandbox.worker import isolate; "
            "print(json.dumps(isolate({'cpu_s': 2, 'memory_mb': 256, 'max_open_files': 16, "
            "'max_file_bytes': 0}, json.loads(sys.argv[2]))))")
    workdir = tempfile.mkdtemp()
    try:
        proc = _run(code, json.dumps(preload), cwd=workdir)
    finally:
        os.rmdir(workdir)
    return json.loads(proc.stdout)
