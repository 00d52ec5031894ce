"""A CycloneDX 1.5 SBOM (JSON, on stdout) of the onboard binary built for one target: every crate
linked into the binary (scope "required"), and the crates of build scripts and procedural macros,
which run only while it is built (scope "excluded"), each with its version, licence, package URL
and Cargo.lock checksum, and the dependency graph between them. Which crates, and their edges,
come from `cargo tree --target TARGET`, which resolves features as a build of the binary does
(`cargo metadata` would add those that only the tests' dev-dependencies switch on); their
descriptions from `cargo metadata`.

Usage: dist-sbom.py --target TARGET --version VERSION"""

import argparse
import json
import os
import re
import subprocess
import sys
import tomllib
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cargo(*args):
    return subprocess.run(["cargo", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def tree(target, edges):
    """The crates of `cargo tree -e EDGES` for target, as (name, version), and each one's
    dependencies."""
    out = cargo("tree", "--locked", "--target", target, "-e", edges, "--prefix", "depth", "--format", "{p}")
    deps, stack = {}, []
    for line in out.splitlines():
        match = re.match(r"(\d+)(\S+) v(\S+)", line)
        if not match:
            continue
        depth, crate = int(match[1]), (match[2], match[3])
        deps.setdefault(crate, set())
        del stack[depth:]
        if stack:
            deps[stack[-1]].add(crate)
        stack.append(crate)
    return deps


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--target", required=True)
    args.add_argument("--version", required=True)
    args = args.parse_args()

    meta = json.loads(cargo("metadata", "--locked", "--format-version", "1"))
    packages = {(p["name"], p["version"]): p for p in meta["packages"]}
    lock_text = (ROOT / "Cargo.lock").read_text()
    checksums = {
        (p["name"], p["version"]): p.get("checksum")
        for p in tomllib.loads(lock_text)["package"]
    }
    # Linked into the binary: normal dependencies, not through a procedural macro.
    runtime = tree(args.target, "normal,no-proc-macro")
    # Everything a build of the binary compiles (no dev-dependencies).
    built = tree(args.target, "normal,build")
    root = ("onboard", args.version)
    if root not in built:
        sys.exit(f"dist-sbom: cargo tree does not show onboard {args.version} (is Cargo.toml's version that?)")

    def ref(crate):
        return f"pkg:cargo/{crate[0]}@{crate[1]}"

    def component(crate):
        p = packages[crate]
        c = {
            "type": "library",
            "bom-ref": ref(crate),
            "name": p["name"],
            "version": p["version"],
            "scope": "required" if crate in runtime else "excluded",
            "purl": ref(crate),
        }
        if p.get("description"):
            c["description"] = " ".join(p["description"].split())
        if p.get("license"):
            c["licenses"] = [{"expression": p["license"].replace("/", " OR ")}]
        checksum = checksums.get((p["name"], p["version"]))
        if checksum:
            c["hashes"] = [{"alg": "SHA-256", "content": checksum}]
        links = []
        if p.get("repository"):
            links.append({"type": "vcs", "url": p["repository"]})
        if p.get("homepage"):
            links.append({"type": "website", "url": p["homepage"]})
        if links:
            c["externalReferences"] = links
        return c

    onboard = packages[root]
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    # The same sources, version and target give the same serial number.
    serial = uuid.uuid5(uuid.NAMESPACE_URL, f"onboard/{args.version}/{args.target}/{lock_text}")
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{serial}",
        "version": 1,
        "metadata": {
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "scripts/dist-sbom.py"}]},
            "component": {
                "type": "application",
                "bom-ref": ref(root),
                "name": "onboard",
                "version": args.version,
                "description": onboard["description"],
                "licenses": [{"expression": onboard["license"]}],
                "purl": ref(root),
            },
            "properties": [{"name": "cargo:target", "value": args.target}],
        },
        "components": [component(c) for c in sorted(set(built) - {root})],
        "dependencies": [
            {"ref": ref(c), "dependsOn": sorted(ref(d) for d in deps)}
            for c, deps in sorted(built.items())
        ],
    }
    json.dump(bom, sys.stdout, indent=2)
    sys.stdout.write("\n")


main()
