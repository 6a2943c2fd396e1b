#!/usr/bin/env bash
# Debian packages the project needs: audio decoding (ffmpeg, libsndfile), test and example audio
# (espeak-ng, flite, sox, pocketsphinx-testdata, sound-theme-freedesktop; real animal and household
# sounds from tuxpaint-stamps-default and gcompris-qt-data) and a C/C++ toolchain (llama-cpp-python
# is built from source by pip), the sandbox's seccomp library (libseccomp2) and setfacl (acl) for
# the unprivileged sandbox test user, and for the browser tests of the web app and the benchmark
# report only: chromium and its driver (selenium drives them; no browser is downloaded).
# Installs only what is missing.
set -euo pipefail
packages=(ffmpeg libsndfile1 espeak-ng flite sox libsox-fmt-all pocketsphinx-testdata
          sound-theme-freedesktop tuxpaint-stamps-default gcompris-qt-data build-essential cmake
          python3-venv libseccomp2 acl chromium chromium-driver)
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
