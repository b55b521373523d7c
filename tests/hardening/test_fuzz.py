"""Hostile input, fuzzed with hypothesis: policy documents, damaged TOML files, CSV imports,
names, tag keys, ARNs and context values, through the real commands.

Every case: exit status 0, 1, 2 or 3 (never 70, an internal error), no traceback, a failure is
one stderr line, no hang (each case is bounded by an alarm), and a refused input writes nothing
(the directory's fingerprint is unchanged). Cases per test: 40 in CI, 1,000 with
IAMCTL_STRESS=full; the counts are printed at the end of the session.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import support
from .support import ACCOUNT, fingerprint, run

EXAMPLES = support.scale(40, 1000)
CASE_SECONDS = 10
COUNTS: dict[str, int] = {}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not support.FULL,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
VALID = {"Version": "2012-10-17", "Statement": [
    {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "a"}}}]}

_template: Path | None = None


@pytest.fixture(scope="module", autouse=True)
def _remove_template():
    """The template is made once for the module and removed after it (not left in /tmp)."""
    global _template
    yield
    if _template is not None:
        shutil.rmtree(_template.parent, ignore_errors=True)
        _template = None


def _template_dir() -> Path:
    """An account with a user, a group and a policy, made once and copied for each case."""
    global _template
    if _template is None:
        _template = Path(tempfile.mkdtemp(prefix="iamctl-fuzz-")) / "acct"
        doc = _template.parent / "doc.json"
        doc.write_text(json.dumps(VALID))
        for args in (["init", "--account-id", ACCOUNT], ["user", "create", "alice"], ["group", "create", "staff"],
                     ["policy", "create", "base", "--document", str(doc)]):
            assert run(_template, *args).code == 0
    return _template


@contextlib.contextmanager
def _case(name: str):
    """A fresh copy of the template account and a work folder, for one example."""
    COUNTS[name] = COUNTS.get(name, 0) + 1
    work = Path(tempfile.mkdtemp(prefix="iamctl-case-"))
    try:
        shutil.copytree(_template_dir(), work / "acct")
        yield work / "acct", work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _alarm(signum, frame):
    raise TimeoutError(f"a fuzz case ran longer than {CASE_SECONDS} s")


# Commands that by design report every problem found, one line each, before the error line.
REPORTERS = (("account", "check"), ("user", "import"))


def _hostile(root: Path, *args: str, input: str | None = None, writes: bool = True):
    """Run one case: bounded in time, clean exit, one-line failure, no write when refused."""
    before = fingerprint(root)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_SECONDS)
    try:
        result = run(root, *args, input=input)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert result.code in support.CLEAN_EXITS, (args, result.code, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    if result.code in (1, 2) and tuple(args[:2]) in REPORTERS:
        lines = result.stderr.split("\n")[:-1]
        assert all(line.startswith("iamctl: ") for line in lines), (args, result.stderr)
        assert lines and lines[-1].startswith("iamctl: error: "), (args, result.stderr)
    elif result.code in (1, 2):
        assert result.clean_failure(), (args, result.stderr)
    if result.code != 0 or not writes:
        assert fingerprint(root) == before, (args, result.stderr)
    return result


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20)

statement_keys = st.sampled_from(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition",
                                  "Principal", "NotPrincipal", "Bogus"])
near_values = st.one_of(
    st.sampled_from(["Allow", "Deny", "allow", "*", "s3:*", "s3:Get*", "iam:PassRole", "arn:aws:s3:::b/*", "",
                     "arn:aws:iam::123456789012:root", "${aws:username}", "s3:", ":", "arn:aws"]),
    st.lists(st.sampled_from(["s3:GetObject", "ec2:*", "*", "", "bad action"]), max_size=3),
    st.dictionaries(st.sampled_from(["StringEquals", "StringLike", "ForAnyValue:StringEquals", "DateLessThan",
                                     "IpAddress", "Bool", "NotAnOperator", "NumericLessThanIfExists"]),
                    st.dictionaries(st.sampled_from(["aws:username", "aws:SourceIp", "aws:CurrentTime",
                                                     "s3:prefix", "x:y", ""]),
                                    st.one_of(st.text(max_size=10), st.lists(st.text(max_size=5), max_size=3),
                                              st.integers(), st.booleans()), max_size=2),
                    max_size=2),
    json_values)


@st.composite
def near_valid_documents(draw):
    doc = json.loads(json.dumps(VALID))
    statement = doc["Statement"][0]
    for _ in range(draw(st.integers(1, 3))):
        statement[draw(statement_keys)] = draw(near_values)
    if draw(st.booleans()):
        statement.pop(draw(st.sampled_from(sorted(statement))), None)
    if draw(st.integers(0, 4)) == 0:
        doc["Version"] = draw(st.sampled_from(["2008-10-17", "2012-10-18", "", 2012]))
    return json.dumps(doc)


documents = st.one_of(near_valid_documents(), json_values.map(json.dumps), st.text(max_size=200))


@FUZZ
@given(doc=documents)
def test_policy_create_refuses_hostile_documents_cleanly(doc):
    with _case("policy create") as (root, work):
        (work / "p.json").write_text(doc)
        _hostile(root, "policy", "create", "fuzzed", "--document", str(work / "p.json"))


@FUZZ
@given(doc=documents, context=st.lists(st.tuples(st.text(max_size=20), st.text(max_size=30)), max_size=3),
       resource=st.text(max_size=60))
def test_simulate_policy_survives_hostile_documents_context_and_arns(doc, context, resource):
    with _case("simulate policy") as (root, work):
        (work / "p.json").write_text(doc)
        args = ["simulate", "policy", "-p", str(work / "p.json"), "-a", "s3:GetObject", "-r", resource or "*"]
        for key, value in context:
            args += ["-c", f"{key}={value}"]
        _hostile(root, *args, writes=False)


@FUZZ
@given(data=st.one_of(st.binary(max_size=300),
                      st.text(max_size=200).map(str.encode),
                      st.sampled_from([b'name = "alice"\n', b"[x\n", b'name = "alice"\nuser_id = 5\n']).flatmap(
                          lambda head: st.binary(max_size=40).map(lambda tail: head + tail))),
       command=st.sampled_from([["user", "show", "alice"], ["user", "list"], ["user", "tag", "alice", "k=v"],
                                ["group", "add-user", "staff", "alice"], ["account", "check"],
                                ["user", "delete", "alice", "--force"]]))
def test_a_damaged_user_file_gives_one_line_and_nothing_written(data, command):
    with _case("damaged toml") as (root, work):
        (root / ACCOUNT / "users" / "alice.toml").write_bytes(data)
        result = _hostile(root, *command, writes=command[1] not in ("tag", "add-user", "delete"))
        if result.code == 1:
            assert "alice.toml" in result.stderr or "alice" in result.stderr


names = st.one_of(st.text(max_size=70), st.text(alphabet="abcXYZ09+=,.@_-/ \\\x00é", max_size=140))


@FUZZ
@given(name=names, key=st.text(max_size=140), value=st.text(max_size=300), path=st.text(max_size=30))
def test_hostile_names_tag_keys_and_paths(name, key, value, path):
    with _case("names") as (root, work):
        _hostile(root, "user", "create", "--path", path or "/", "--tag", f"{key}={value}", "--", name)
        _hostile(root, "group", "create", "--", name)
        _hostile(root, "user", "tag", "alice", f"{key}={value}")


@FUZZ
@given(arn=st.one_of(st.text(max_size=120), st.from_regex(r"arn:aws:iam::(aws|\d{12}):policy(/[a-z]{0,3})*/[\w+=,.@-]{0,10}",
                                                          fullmatch=True)))
def test_hostile_policy_arns(arn):
    with _case("arns") as (root, work):
        _hostile(root, "user", "attach-policy", "alice", arn)
        _hostile(root, "group", "detach-policy", "staff", arn)


csv_cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@st.composite
def csv_files(draw):
    header = draw(st.one_of(
        st.just("name,path,groups,tags,policies,password,access_key,mfa"),
        st.lists(st.sampled_from(["name", "path", "groups", "tags", "policies", "boundary", "password",
                                  "require_reset", "access_key", "mfa", "bogus", ""]), min_size=0, max_size=6)
        .map(",".join)))
    rows = draw(st.lists(st.lists(st.one_of(csv_cells, st.sampled_from(
        ["new1", "alice", "staff", "team=a", "generate", "yes", "required", "base", "/x/", "a;b", '"', ","])),
        max_size=8).map(lambda cells: ",".join(cells)), max_size=5))
    return "\n".join([header, *rows]) + draw(st.sampled_from(["", "\n", "\r\n"]))


@FUZZ
@given(text=st.one_of(csv_files(), st.text(max_size=200)))
def test_hostile_csv_imports(text):
    with _case("csv import") as (root, work):
        (work / "in.csv").write_text(text, encoding="utf-8")
        _hostile(root, "user", "import", str(work / "in.csv"), "--credentials-out", str(work / "creds.csv"))


def test_zz_report_fuzz_case_counts():
    """Runs last in this file: prints how many cases each fuzz test ran."""
    total = sum(COUNTS.values())
    print(f"\nfuzz: {total} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items())))
    assert total >= EXAMPLES * 5 or not COUNTS  # damaged-toml cases may repeat and be skipped
