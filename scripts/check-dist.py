"""Checks what scripts/dist.sh wrote into DIST against the published formats and the sources:
  - winget's three manifests and Scoop's against their JSON schemas (tests/data/schemas/), and
    their checksums, nested paths and URLs against the zip they install;
  - the Homebrew formula's checksums against the archives (`ruby -c` is run by check-dist.sh);
  - each SBOM against the CycloneDX 1.5 schema, its crates against Cargo.lock, and its linked
    crates against `cargo tree` for its target;
  - the dependency list that `cargo auditable` embedded in the binary of each archive named by
    --auditable TARGET, against the SBOM of that target.
Each schema is also shown a broken copy of its document, which it must refuse, so that a check
that cannot fail is caught. Needs jsonschema and PyYAML (scripts/install-dist-tools.sh).

Usage: check-dist.py --dist DIST --version VERSION [--auditable TARGET]..."""

import argparse
import copy
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
import zlib
from pathlib import Path

import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "tests" / "data" / "schemas"
failures = []


def fail(message):
    failures.append(message)
    print(f"check-dist: {message}", file=sys.stderr)


def load_schema(name):
    return json.loads((SCHEMAS / name).read_text())


def validator(name, registry=None):
    schema = load_schema(name)
    kwargs = {"format_checker": Draft7Validator.FORMAT_CHECKER}
    if registry is not None:
        kwargs["registry"] = registry
    return Draft7Validator(schema, **kwargs)


def validate(what, check, document, broken):
    """document must pass check; broken(copy) must make it fail."""
    errors = sorted(check.iter_errors(document), key=lambda e: list(e.path))
    for e in errors[:5]:
        fail(f"{what}: {'/'.join(map(str, e.path)) or '(top)'}: {e.message}")
    spoiled = copy.deepcopy(document)
    broken(spoiled)
    if check.is_valid(spoiled):
        fail(f"{what}: its schema also accepts a broken copy; the check cannot fail")
    return not errors


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_winget(dist, version, zip_path):
    files = sorted((dist / "manifests" / "winget").glob("*.yaml"))
    kinds = {}
    for f in files:
        document = yaml.safe_load(f.read_text())
        kinds[document.get("ManifestType")] = (f, document)
    if set(kinds) != {"version", "installer", "defaultLocale"}:
        fail(f"winget: expected a version, an installer and a defaultLocale manifest, found {sorted(kinds)}")
        return
    spoil = {
        "version": lambda d: d.update(PackageVersion="not a version/"),
        "installer": lambda d: d["Installers"][0].update(InstallerSha256="abc"),
        "defaultLocale": lambda d: d.pop("ShortDescription"),
    }
    for kind, (f, document) in kinds.items():
        validate(f"winget {f.name}", validator(f"winget-manifest.{kind}.1.10.0.json"), document, spoil[kind])
        if document["PackageVersion"] != version:
            fail(f"winget {f.name}: PackageVersion {document['PackageVersion']}, expected {version}")
    ids = {d["PackageIdentifier"] for _, d in kinds.values()}
    if len(ids) != 1:
        fail(f"winget: the manifests name different packages: {sorted(ids)}")
    installer = kinds["installer"][1]
    entry = installer["Installers"][0]
    if entry["InstallerSha256"].lower() != sha256(zip_path):
        fail(f"winget: InstallerSha256 is not the checksum of {zip_path.name}")
    if not entry["InstallerUrl"].endswith(f"/v{version}/{zip_path.name}"):
        fail(f"winget: InstallerUrl {entry['InstallerUrl']} is not the release's {zip_path.name}")
    names = set(zipfile.ZipFile(zip_path).namelist())
    for nested in installer["NestedInstallerFiles"]:
        if nested["RelativeFilePath"].replace("\\", "/") not in names:
            fail(f"winget: {nested['RelativeFilePath']} is not in {zip_path.name}")
        if nested.get("PortableCommandAlias") != "onboard":
            fail("winget: the portable command alias is not onboard")


def check_scoop(dist, version, zip_path):
    path = dist / "manifests" / "scoop" / "onboard.json"
    document = json.loads(path.read_text())
    validate("scoop onboard.json", validator("scoop-manifest.schema.json"), document,
             lambda d: d.update(checkver={"github": 42}))
    arch = document["architecture"]["64bit"]
    if arch["hash"] != sha256(zip_path):
        fail(f"scoop: hash is not the checksum of {zip_path.name}")
    names = set(zipfile.ZipFile(zip_path).namelist())
    if f"{arch['extract_dir']}/{document['bin']}" not in names:
        fail(f"scoop: {arch['extract_dir']}/{document['bin']} is not in {zip_path.name}")
    auto = document["autoupdate"]["architecture"]["64bit"]
    if auto["url"].replace("$version", version) != arch["url"]:
        fail(f"scoop: autoupdate's url for {version} is not {arch['url']}")
    if auto["extract_dir"].replace("$version", version) != arch["extract_dir"]:
        fail("scoop: autoupdate's extract_dir does not give this release's")
    if not any(document[k] for k in ("checkver", "autoupdate", "bin")):
        fail("scoop: checkver, autoupdate or bin is empty")


def check_homebrew(dist, version):
    formula = (dist / "manifests" / "homebrew" / "onboard.rb").read_text()
    pairs = re.findall(r'url "([^"]+)"\s+sha256 "([0-9a-f]{64})"', formula)
    if not pairs:
        fail("homebrew: the formula has no url with its sha256")
    for url, digest in pairs:
        name = url.rsplit("/", 1)[1]
        if not url.endswith(f"/v{version}/{name}") or not (dist / name).exists():
            fail(f"homebrew: {url} is not an archive of this release")
        elif sha256(dist / name) != digest:
            fail(f"homebrew: the sha256 of {name} is wrong")
    for line in ('bin.install "onboard"', 'man1.install', 'bash_completion.install',
                 'zsh_completion.install', 'fish_completion.install', f'version "{version}"'):
        if line not in formula:
            fail(f"homebrew: the formula lacks {line}")


def linked_crates(target):
    """(name, version) of every crate cargo tree shows linked into onboard for target."""
    out = subprocess.run(
        ["cargo", "tree", "--locked", "--target", target, "-e", "normal,no-proc-macro",
         "--prefix", "none", "--format", "{p}"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    crates = set()
    for line in out.splitlines():
        match = re.match(r"(\S+) v(\S+)", line)
        if match:
            crates.add((match[1], match[2]))
    return crates


def check_sbom(path, lock):
    bom = json.loads(path.read_text())
    registry = Registry().with_resources([
        (f"http://cyclonedx.org/schema/{name}", Resource.from_contents(load_schema(f"cyclonedx-{name}")))
        for name in ("spdx.schema.json", "jsf-0.82.schema.json")
    ])
    validate(path.name, validator("cyclonedx-bom-1.5.schema.json", registry), bom,
             lambda d: d["components"][0].update(scope="sometimes"))
    target = next(p["value"] for p in bom["metadata"]["properties"] if p["name"] == "cargo:target")
    archive = path.name.removesuffix(".cdx.json")
    if not any((path.parent / f"{archive}{ext}").exists() for ext in (".tar.gz", ".zip")):
        fail(f"{path.name}: no archive {archive}.tar.gz or .zip beside it")
    components = {(c["name"], c["version"]): c for c in bom["components"]}
    for key in components:
        if key not in lock:
            fail(f"{path.name}: {key[0]} {key[1]} is not in Cargo.lock")
    required = {k for k, c in components.items() if c["scope"] == "required"}
    root = bom["metadata"]["component"]
    expected = linked_crates(target) - {(root["name"], root["version"])}
    agrees = required == expected
    if not agrees:
        fail(f"{path.name}: the SBOM's linked crates differ from cargo tree's for {target}: "
             f"only in the SBOM {sorted(required - expected)[:5]}, only in cargo tree {sorted(expected - required)[:5]}")
    for c in components.values():
        if lock.get((c["name"], c["version"])) and not c.get("hashes"):
            fail(f"{path.name}: {c['name']} has no checksum though Cargo.lock has one")
    if agrees:
        print(f"check-dist: {path.name}: {len(required)} linked crates and "
              f"{len(components) - len(required)} build-time ones, as cargo tree and Cargo.lock say",
              file=sys.stderr)
    return target, required


def embedded_crates(dist, version, target):
    """The runtime crates of the list `cargo auditable` put in the .dep-v0 section of the binary
    in target's archive."""
    folder = f"onboard-{version}-{target}"
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "onboard"
        if (dist / f"{folder}.zip").exists():
            binary.write_bytes(zipfile.ZipFile(dist / f"{folder}.zip").read(f"{folder}/onboard.exe"))
        else:
            with tarfile.open(dist / f"{folder}.tar.gz") as archive:
                binary.write_bytes(archive.extractfile(f"{folder}/onboard").read())
        section = Path(tmp) / "dep-v0"
        copied = None
        for objcopy in ("objcopy", "x86_64-w64-mingw32-objcopy"):
            copied = subprocess.run([objcopy, "--dump-section", f".dep-v0={section}", str(binary),
                                     str(Path(tmp) / "ignored")], capture_output=True, text=True)
            if copied.returncode == 0 and section.exists():
                break
        else:
            fail(f"{folder}: its binary has no .dep-v0 section (was it built with cargo auditable?): "
                 f"{copied.stderr.strip()}")
            return None
        # A PE section is padded to its file alignment: what follows the zlib stream is ignored.
        info = json.loads(zlib.decompressobj().decompress(section.read_bytes()))
    return {(p["name"], p["version"]) for p in info["packages"]
            if p.get("kind", "runtime") == "runtime" and not p.get("root")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dist", required=True, type=Path)
    parser.add_argument("--version", required=True)
    parser.add_argument("--auditable", action="append", default=[], metavar="TARGET")
    args = parser.parse_args()
    dist, version = args.dist, args.version

    zip_path = dist / f"onboard-{version}-x86_64-pc-windows-gnu.zip"
    check_winget(dist, version, zip_path)
    check_scoop(dist, version, zip_path)
    check_homebrew(dist, version)

    lock = {(p["name"], p["version"]): p.get("checksum")
            for p in tomllib.loads((ROOT / "Cargo.lock").read_text())["package"]}
    sboms = sorted(dist.glob("*.cdx.json"))
    if not sboms:
        fail("no SBOM (*.cdx.json) in the release")
    linked = dict(check_sbom(p, lock) for p in sboms)

    for target in args.auditable:
        embedded = embedded_crates(dist, version, target)
        if embedded is None:
            continue
        # cargo auditable reads `cargo metadata`, which also counts some procedural macros as
        # linked, and crates that only the tests' dev-dependencies switch on: its list may be
        # longer than the SBOM's, never shorter.
        if target not in linked:
            fail(f"{target}: no SBOM to compare the binary's embedded list with")
            continue
        missing = linked[target] - embedded
        unknown = {c for c in embedded if c not in lock}
        if missing:
            fail(f"{target}: the binary's embedded dependency list lacks {sorted(missing)[:5]}, "
                 "which the SBOM says are linked")
        if unknown:
            fail(f"{target}: the binary's embedded list names crates not in Cargo.lock: {sorted(unknown)[:5]}")
        if not missing and not unknown:
            extra = sorted(f"{n} {v}" for n, v in embedded - linked[target])
            print(f"check-dist: {target}: the binary's embedded list names all {len(linked[target])} "
                  f"crates the SBOM says are linked, and {len(extra)} more that cargo metadata "
                  f"counts ({', '.join(extra)})", file=sys.stderr)

    if failures:
        sys.exit(f"check-dist: {len(failures)} problem(s) in {dist}")
    print("check-dist: winget and Scoop manifests valid against their schemas; Homebrew formula, "
          "SBOMs and checksums consistent", file=sys.stderr)


main()
