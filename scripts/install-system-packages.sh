#!/usr/bin/env bash
# Debian packages the project needs. Usage: install-system-packages.sh [run|test] (default run)
#   run:  what `copilot` needs (`make demo`): audio decoding (ffmpeg, libsndfile), a C/C++ toolchain
#         (PyPI has no Linux wheel of llama-cpp-python: pip builds it from source), venv, and the
#         sandbox's seccomp library (libseccomp2).
#   test: also what only the tests need (`make test`): test audio (espeak-ng, flite, sox,
#         pocketsphinx-testdata, sound-theme-freedesktop; real animal and household sounds from
#         tuxpaint-stamps-default and gcompris-qt-data), setfacl (acl) for the unprivileged sandbox
#         test user, and for the browser tests of the web app and the benchmark report: chromium and
#         its driver (selenium drives them; no browser is downloaded).
# Installs only what is missing.
set -euo pipefail
packages=(ffmpeg libsndfile1 build-essential cmake python3-venv libseccomp2)
case "${1:-run}" in
  run) ;;
  test) packages+=(espeak-ng flite sox libsox-fmt-all pocketsphinx-testdata sound-theme-freedesktop
                   tuxpaint-stamps-default gcompris-qt-data acl chromium chromium-driver) ;;
  *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "Please install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
