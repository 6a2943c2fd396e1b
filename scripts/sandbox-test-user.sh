#!/usr/bin/env bash
# The unprivileged user the sandbox tests run the hostile programs as (tests/sandbox/test_modes.py).
# As root: creates the system user copilot-sandbox if it is missing, and lets it execute the test
# interpreter: each directory on the way to the interpreter, its standard library, the virtual
# environment and this checkout that the user cannot enter gets an ACL granting it traversal (x)
# only, nothing else (pyenv under /root, which is 0700, is the usual case). Not root: nothing to do.
# Usage: scripts/sandbox-test-user.sh [PYTHON]   (default .venv/bin/python)
set -euo pipefail
user=copilot-sandbox
if [ "$(id -u)" -ne 0 ]; then
  echo "sandbox tests: not root, so they run as uid $(id -u) only (no user to create)"
  exit 0
fi
python=$(realpath -s "${1:-.venv/bin/python}")  # absolute, but still the venv's (not its target)
id -u "$user" >/dev/null 2>&1 ||
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
command -v setfacl >/dev/null || { echo "sandbox tests: setfacl missing (Debian package acl)" >&2; exit 1; }
targets=("$(readlink -f "$python")" "$("$python" -c 'import sys; print(sys.base_prefix)')"
         "$(cd "$(dirname "$python")/.." && pwd)" "$(pwd)")
for target in "${targets[@]}"; do
  dir=$target
  while :; do
    if [ -d "$dir" ] && ! runuser -u "$user" -- test -x "$dir"; then
      setfacl -m "u:$user:x" "$dir"
      echo "sandbox tests: granted $user traversal (x) of $dir"
    fi
    [ "$dir" = / ] && break
    dir=$(dirname "$dir")
  done
done
if ! (cd /tmp && runuser -u "$user" -- "$python" -c 'import RestrictedPython, numpy') 2>/dev/null; then
  echo "sandbox tests: $user cannot run $python with its packages; check the permissions above" >&2
  exit 1
fi
