"""Package manifests for a release, from the archives in DIST and their lines in DIST/SHA256SUMS,
written to DIST/manifests/:
  winget/OWNER.onboard.yaml, .installer.yaml, .locale.en-US.yaml  (manifest schema 1.10.0: the
      Windows zip, installed as a portable command `onboard` from its nested onboard.exe)
  scoop/onboard.json     (with checkver and autoupdate from the GitHub releases)
  homebrew/onboard.rb    (the macOS and Linux archives present; binary, man pages, completions)
Every URL is a download of the GitHub release vVERSION of REPOSITORY (owner/name).

Usage: dist-manifests.py --dist DIST --version VERSION --repository OWNER/NAME"""

import argparse
import json
import sys
from pathlib import Path

SUMMARY = "Connect a customer's Microsoft 365 tenant to a service provider through OAuth"
DESCRIPTION = (
    "onboard connects a customer's Microsoft 365 tenant to a service provider through OAuth 2.0 "
    "device-code sign-in (Entra ID), keeps the refresh token in the system's keyring, and checks "
    "that connection from CI with exit codes that say what to do."
)
# Homebrew wants at most 80 characters, not starting with the formula's name or an article.
BREW_DESC = "Connect Microsoft 365 tenants through OAuth device-code sign-in, check them in CI"
WINDOWS = "x86_64-pc-windows-gnu"
BREW_TARGETS = [  # (Homebrew's OS block, its CPU block, the archive's target)
    ("on_macos", "on_arm", "aarch64-apple-darwin"),
    ("on_macos", "on_intel", "x86_64-apple-darwin"),
    ("on_linux", "on_intel", "x86_64-unknown-linux-musl"),
]


def yaml_document(schema_url, fields):
    """YAML of a flat mapping whose values are strings, lists of strings or lists of flat
    mappings; each string is written as a JSON string, which YAML reads as the same string."""
    lines = [f"# yaml-language-server: $schema={schema_url}", ""]
    for key, value in fields.items():
        if isinstance(value, str):
            lines.append(f"{key}: {json.dumps(value)}")
            continue
        lines.append(f"{key}:")
        for item in value:
            if isinstance(item, str):
                lines.append(f"  - {json.dumps(item)}")
            else:
                first = True
                for k, v in item.items():
                    lines.append(f"  {'- ' if first else '  '}{k}: {json.dumps(v)}")
                    first = False
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dist", required=True, type=Path)
    parser.add_argument("--version", required=True)
    parser.add_argument("--repository", required=True)
    args = parser.parse_args()
    version, repo = args.version, args.repository
    owner = repo.split("/")[0]
    home = f"https://github.com/{repo}"
    base = f"{home}/releases/download/v{version}"

    sums = {}
    for line in (args.dist / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    out = args.dist / "manifests"

    # winget: the three files of a multi-file manifest, as winget-pkgs holds them.
    zip_name = f"onboard-{version}-{WINDOWS}.zip"
    if zip_name not in sums:
        sys.exit(f"dist-manifests: {zip_name} is not in SHA256SUMS")
    ident = f"{owner}.onboard"
    winget = out / "winget"
    winget.mkdir(parents=True)
    common = {"PackageIdentifier": ident, "PackageVersion": version}
    schema = "https://aka.ms/winget-manifest.{}.1.10.0.schema.json"
    (winget / f"{ident}.yaml").write_text(yaml_document(schema.format("version"), {
        **common,
        "DefaultLocale": "en-US",
        "ManifestType": "version",
        "ManifestVersion": "1.10.0",
    }))
    (winget / f"{ident}.installer.yaml").write_text(yaml_document(schema.format("installer"), {
        **common,
        "InstallerType": "zip",
        "NestedInstallerType": "portable",
        "NestedInstallerFiles": [{
            "RelativeFilePath": f"onboard-{version}-{WINDOWS}\\onboard.exe",
            "PortableCommandAlias": "onboard",
        }],
        "Commands": ["onboard"],
        "Installers": [{
            "Architecture": "x64",
            "InstallerUrl": f"{base}/{zip_name}",
            "InstallerSha256": sums[zip_name].upper(),
        }],
        "ManifestType": "installer",
        "ManifestVersion": "1.10.0",
    }))
    (winget / f"{ident}.locale.en-US.yaml").write_text(yaml_document(schema.format("defaultLocale"), {
        **common,
        "PackageLocale": "en-US",
        "Publisher": owner,
        "PublisherUrl": f"https://github.com/{owner}",
        "PackageName": "onboard",
        "PackageUrl": home,
        "License": "MIT OR Apache-2.0",
        "LicenseUrl": f"{home}/blob/v{version}/LICENSE-MIT",
        "ShortDescription": SUMMARY,
        "Description": DESCRIPTION,
        "Moniker": "onboard",
        "Tags": ["microsoft-365", "entra-id", "oauth", "device-code", "cli"],
        "ReleaseNotesUrl": f"{home}/releases/tag/v{version}",
        "ManifestType": "defaultLocale",
        "ManifestVersion": "1.10.0",
    }))

    # Scoop: a bucket's manifest; checkver and autoupdate let the bucket follow new releases.
    scoop = out / "scoop"
    scoop.mkdir()
    folder = f"onboard-{version}-{WINDOWS}"
    (scoop / "onboard.json").write_text(json.dumps({
        "version": version,
        "description": SUMMARY,
        "homepage": home,
        "license": "MIT|Apache-2.0",
        "architecture": {"64bit": {
            "url": f"{base}/{zip_name}",
            "hash": sums[zip_name],
            "extract_dir": folder,
        }},
        "bin": "onboard.exe",
        "checkver": {"github": home},
        "autoupdate": {
            "architecture": {"64bit": {
                "url": f"{home}/releases/download/v$version/onboard-$version-{WINDOWS}.zip",
                "extract_dir": f"onboard-$version-{WINDOWS}",
            }},
            "hash": {"url": "$baseurl/SHA256SUMS"},
        },
    }, indent=4) + "\n")

    # Homebrew: a tap's formula for the archives this release has.
    blocks = {}
    for os_block, cpu_block, target in BREW_TARGETS:
        name = f"onboard-{version}-{target}.tar.gz"
        if name in sums:
            blocks.setdefault(os_block, []).append(
                f'    {cpu_block} do\n'
                f'      url "{base}/{name}"\n'
                f'      sha256 "{sums[name]}"\n'
                f'    end\n'
            )
    if not blocks:
        sys.exit("dist-manifests: no macOS or Linux archive in SHA256SUMS for Homebrew")
    platforms = "\n".join(f"  {os_block} do\n{''.join(b)}  end\n" for os_block, b in blocks.items())
    homebrew = out / "homebrew"
    homebrew.mkdir()
    (homebrew / "onboard.rb").write_text(f'''class Onboard < Formula
  desc "{BREW_DESC}"
  homepage "{home}"
  version "{version}"
  license any_of: ["MIT", "Apache-2.0"]

{platforms}
  def install
    bin.install "onboard"
    man1.install Dir["man/*.1"]
    bash_completion.install "completions/onboard.bash" => "onboard"
    zsh_completion.install "completions/_onboard"
    fish_completion.install "completions/onboard.fish"
  end

  test do
    assert_match version.to_s, shell_output("#{{bin}}/onboard --version")
  end
end
''')


main()
