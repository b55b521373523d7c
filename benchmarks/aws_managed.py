"""What attaching an AWS managed policy adds to a command, against a small customer managed policy.

Each pair of commands runs on the same account, in interleaved rounds (benchmarks/_timing.py),
and differs only by the AWS managed policy: every user has the same 3-statement customer managed
policy, and the second user of a pair also has the AWS managed one attached. The figure is the
median over rounds of the per-round difference: what the AWS managed policy adds, start-up and
the first policy's one-time costs (the first regular expression compiled, ...) paid by both.

- `simulate principal` for a user with ReadOnlyAccess (118 kB of JSON), and for one with the
  bundle's largest document (AWSSupportServiceRolePolicy, 194 kB): reads the bundle's index,
  that policy's member, and parses the document in the policy engine. The request is the same
  (s3:GetObject); the largest policy does not allow it (exit 3), after the same evaluation.
- `user attach-policy ... arn:aws:iam::aws:policy/ReadOnlyAccess`: checks the ARN against the
  bundle's index (the document is not read). Attaching again is a no-op that succeeds, as in AWS,
  so every round runs the same command.
- `policy list --scope AWS -o json` (all ~1,600 AWS managed policies, from the index only), shown
  against `policy list --scope Local` for information: no floor.

Each simulate figure is then split, in fresh processes that have parsed the customer managed
policy first (median of --probes), into the bundle's share (read the index, find the row, inflate
the policy's member), decoding the JSON (through the engine's loader, `load_document`, which
the command's `parse_policy(text)` uses: iamctl's hardened JSON loader with duplicate-key
detection), and the policy engine's parse of the decoded document. The largest document has
the largest member, so its bundle share is the worst over all 1,594 policies.

Floor (issue 21, items 3 and 4): attaching any AWS managed policy adds <= 5 ms to a command,
the bundle's read and the policy engine's parse included.

Run: python benchmarks/aws_managed.py [--runs 40] [--probes 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import difference_line, interleaved_runs
from simulate import POLICY as SMALL  # the 3-statement customer managed policy

FLOOR_MS = 5.0
ACCOUNT = "123456789012"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


# One cold lookup in a fresh process that has parsed the customer managed policy, as the command
# has: seconds in the bundle, decoding the JSON, and parsing it in the policy engine.
PROBE = """
import sys, time
from iamctl.core.engine import aws_managed
from iamctl.core.engine.parse import load_document, parse_policy
parse_policy(sys.argv[2], name="Small", strict=False)
start = time.perf_counter()
policy = aws_managed.get(sys.argv[1])
text = policy.document
read = time.perf_counter()
document = load_document(text)
decoded = time.perf_counter()
parse_policy(document, name=policy.name, strict=False)
print(read - start, decoded - read, time.perf_counter() - decoded)
"""


def probe(arn: str, runs: int) -> tuple[float, ...]:
    """Median seconds of (bundle read, JSON decode, engine parse) of one policy, over `runs` processes."""
    argv = [sys.executable, "-P", "-c", PROBE, arn, json.dumps(SMALL)]
    shares = [[float(x) for x in subprocess.run(argv, check=True, text=True, capture_output=True).stdout.split()]
              for _ in range(runs)]
    return tuple(statistics.median(column) for column in zip(*shares, strict=True))


def largest_policy() -> tuple[str, int]:
    """The ARN and size of the bundled AWS managed policy with the longest document."""
    from iamctl.core.engine import aws_managed

    biggest = max(aws_managed.list(), key=lambda p: len(p.document))
    return biggest.arn, len(biggest.document)


def build(root: Path, largest: str) -> str:
    """An account whose users all have the customer managed policy Small: `custom` only that,
    `readonly` and `largest` an AWS managed policy too, and `attach1`, `attach2` to attach policies
    to (attached already, so that attaching again is the same no-op every round). Returns Small's ARN."""
    from iamctl.core.identities import policies, users
    from iamctl.core.store.directory import Store

    store = Store(root)
    store.init(ACCOUNT)
    small = f"arn:aws:iam::{ACCOUNT}:policy/Small"
    with store.write() as txn:
        policies.create_policy(txn, "Small", json.dumps(SMALL))
        for user, arn in (("custom", None), ("readonly", READ_ONLY), ("largest", largest),
                          ("attach1", None), ("attach2", READ_ONLY)):
            users.create_user(txn, user)
            policies.attach_policy(txn, "user", user, small)
            if arn is not None:
                policies.attach_policy(txn, "user", user, arn)
    return small


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--probes", type=int, default=15, help="fresh processes per bundle/engine split")
    args = parser.parse_args()
    largest, size = largest_policy()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "acct"
        small = build(root, largest)
        env = {**os.environ, "IAMCTL_DIR": str(root)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        iamctl = [sys.executable, "-P", "-m", "iamctl"]
        request = ["-a", "s3:GetObject", "-r", "arn:aws:s3:::data/report.csv", "-o", "json"]
        times = interleaved_runs({
            "simulate custom": [*iamctl, "simulate", "principal", "--user", "custom", *request],
            "simulate readonly": [*iamctl, "simulate", "principal", "--user", "readonly", *request],
            "simulate largest": [*iamctl, "simulate", "principal", "--user", "largest", *request],
            "attach custom": [*iamctl, "user", "attach-policy", "attach1", small],
            "attach readonly": [*iamctl, "user", "attach-policy", "attach2", READ_ONLY],  # already attached
            "list local": [*iamctl, "policy", "list", "--scope", "Local", "-o", "json"],
            "list aws": [*iamctl, "policy", "list", "--scope", "AWS", "-o", "json"],
        }, args.runs, env, accept=(0, 3))
    print(f"median of {args.runs} interleaved rounds; each figure is what the second command adds to the first")
    for label, base in (("simulate custom", "simulate principal, small customer policy"),
                        ("attach custom", "user attach-policy, customer policy"),
                        ("list local", "policy list --scope Local")):
        print(f"{base:46} {statistics.median(times[label]) * 1000:7.1f} ms")
    failed = False
    for label, base, what, arn in (
        ("simulate readonly", "simulate custom", "simulate principal, ReadOnlyAccess", READ_ONLY),
        ("simulate largest", "simulate custom",
         f"simulate principal, {largest.rsplit('/', 1)[1][:14]}.. ({size // 1000} kB)", largest),
        ("attach readonly", "attach custom", "user attach-policy, ReadOnlyAccess", None),
    ):
        line, added = difference_line(what, times[label], times[base], FLOOR_MS)
        verdict = "PASS" if added <= FLOOR_MS else "FAIL"
        share = ""
        if arn is not None:
            bundle, decode, engine = (t * 1000 for t in probe(arn, args.probes))
            share = f"; of it, bundle {bundle:.1f} ms, JSON {decode:.1f} ms, engine parse {engine:.1f} ms"
        failed |= verdict == "FAIL"
        print(f"{line}{share}  {verdict}")
    listing = statistics.median(times["list aws"]) * 1000
    adds = statistics.median(a - b for a, b in zip(times["list aws"], times["list local"], strict=True)) * 1000
    print(f"{'policy list --scope AWS (1,594 policies)':46} {listing:7.1f} ms  adds {adds:5.1f} ms  (information only)")
    print(f"result: {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
