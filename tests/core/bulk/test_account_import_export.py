"""Import and export of `aws iam get-account-authorization-details` (iamctl.core.bulk.account_import, .account_export).

The inputs are real, published files (tests/data/authdetails/, sources in tests/data/README.md).

What the round-trip comparison normalises, and nothing else:
- dates: compared as instants (`2023-03-09 10:41:45+00:00` ≡ `2023-03-09T10:41:45Z`);
- policy documents: compared as parsed JSON (an object, JSON text or URL-encoded text alike);
- lists: compared without regard to order, and an absent list field ≡ an empty one;
- AttachedManagedPolicies given as a single object (AWS's docs example) ≡ a one-element list;
- the pagination fields Marker and IsTruncated are dropped;
- PermissionsBoundaryUsageCount absent (older AWS output) ≡ 0 (export always writes it).
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from pathlib import Path

import pytest

from iamctl.core.base.errors import InvalidInput
from iamctl.core.bulk import account_export, account_import, cloudformation
from iamctl.core.bulk.account_import import decode_document, normalise_date
from iamctl.core.identities import documents, policies
from iamctl.core.store.directory import Store

DATA = Path(__file__).resolve().parents[2] / "data" / "authdetails"
FILES = sorted(p.name for p in DATA.glob("*.json"))
DOCS = {"PolicyDocument", "AssumeRolePolicyDocument", "Document"}


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def normalise(value, key=None):
    if key in DOCS:
        return json.loads(decode_document(value, "$"))
    if isinstance(value, str) and key and key.endswith("Date"):
        return normalise_date(value)
    if key == "AttachedManagedPolicies" and isinstance(value, dict):
        value = [value]
    if isinstance(value, dict):
        out = {k: normalise(v, k) for k, v in value.items() if k not in ("Marker", "IsTruncated") and v != []}
        if "PolicyVersionList" in out:
            out.setdefault("PermissionsBoundaryUsageCount", 0)
        return out
    if isinstance(value, list):
        return sorted((normalise(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def import_(tmp_path, *docs, names=None) -> tuple[Store, account_import.ImportReport]:
    store = Store(tmp_path / "a")
    sources = [(n, json.dumps(d)) for n, d in zip(names or [f"page{i}.json" for i in range(len(docs))], docs,
                                                  strict=True)]
    return store, account_import.import_files(store, sources)


def export(store: Store) -> dict:
    with store.read() as txn:
        return account_export.export_details(txn)


@pytest.mark.parametrize("name", FILES)
def test_every_real_file_imports_and_exports_as_it_came_in(tmp_path, name):
    """Lossless round trip of published get-account-authorization-details output (normalisation
    in the module docstring)."""
    data = load(name)
    store, _ = import_(tmp_path, data, names=[name])
    assert normalise(export(store)) == normalise(data)


def test_ids_dates_paths_and_tags_are_kept_as_aws_gave_them(tmp_path):
    store, report = import_(tmp_path, load("cloudsplaining-example-iamvulnerable.json"))
    assert report.account_id == "200611803367"
    with store.read() as txn:
        role = txn.require("role", "AWS-QuickSetup-EnableCRecording-1clff_ap-northeast-1")
        assert role.role_id == "AROAS5NLFGDTVAEPEVY6N"
        assert role.created == "2022-08-07T12:55:43Z"  # from "2022-08-07 12:55:43+00:00"
        assert role.tags["QuickSetupType"] == "Config Recording"
        assert role.last_used.region == "us-east-1"
        sso = [r for r in txn.list("role") if r.path == "/aws-reserved/sso.amazonaws.com/"]
        assert sso, "service paths such as /aws-reserved/sso.amazonaws.com/ are kept"


def test_two_accounts_in_one_file_keep_their_own_arns(tmp_path):
    """cloudsplaining's fixture mixes 200611803367 with 012345678901: the majority account is
    imported into, the others keep their ARNs (and policy references) on export."""
    store, _ = import_(tmp_path, load("cloudsplaining-example-iamvulnerable.json"))
    out = export(store)
    obama = next(u for u in out["UserDetailList"] if u["UserName"] == "obama")
    assert obama["Arn"] == "arn:aws:iam::012345678901:user/obama"
    role = next(r for r in out["RoleDetailList"] if r["RoleName"] == "OverprivilegedEC2")
    assert role["AttachedManagedPolicies"][0]["PolicyArn"] == "arn:aws:iam::012345678901:policy/InsecurePolicy"
    with store.read() as txn:  # locally, the policy is this account's, so attachments resolve
        assert txn.require("role", "OverprivilegedEC2").attached_policies == [
            "arn:aws:iam::200611803367:policy/InsecurePolicy"]


def test_aws_docs_quirks_statement_object_and_attached_policies_object(tmp_path):
    store, _ = import_(tmp_path, load("awscli-docs-example.json"))
    with store.read() as txn:
        assert txn.require("group", "Admins").attached_policies == ["arn:aws:iam::aws:policy/AdministratorAccess"]
        assert txn.require("group", "Admins").members == ["Alice", "Bob"]
        assert json.loads(txn.require("user", "Bob").inline_policies["DenyBillingAndIAMPolicy"])["Statement"][
            "Effect"] == "Deny"
        profile = txn.require("instance-profile", "EC2role")
        assert profile.roles == ["EC2role"] and profile.instance_profile_id == "AIPA1234567890EXAMPLE"


def test_empty_path_is_stored_as_slash_and_exported_as_given(tmp_path):
    store, _ = import_(tmp_path, load("cloudmapper-demo.json"))
    with store.read() as txn:
        assert txn.require("role", "bad_role").path == "/"
    assert next(r for r in export(store)["RoleDetailList"] if r["RoleName"] == "bad_role")["Path"] == ""


def test_every_policy_version_is_kept_with_its_default(tmp_path):
    doc = load("awscli-docs-example.json")
    policy = doc["Policies"][0]
    v1 = policy["PolicyVersionList"][0]
    v2 = {**copy.deepcopy(v1), "VersionId": "v2", "IsDefaultVersion": False, "CreateDate": "2016-01-01T00:00:00Z"}
    policy["PolicyVersionList"].append(v2)
    store, _ = import_(tmp_path, doc)
    with store.read() as txn:
        p = txn.require("policy", policy["PolicyName"])
        assert [v.version_id for v in p.versions] == ["v1", "v2"] and p.default_version == "v1"
        assert p.next_version == 3


def test_url_encoded_documents_as_the_iam_api_returns_them(tmp_path):
    doc = load("awscli-docs-example.json")
    trust = doc["RoleDetailList"][0]["AssumeRolePolicyDocument"]
    doc["RoleDetailList"][0]["AssumeRolePolicyDocument"] = urllib.parse.quote(json.dumps(trust))
    store, _ = import_(tmp_path, doc)
    with store.read() as txn:
        assert json.loads(txn.require("role", "EC2role").assume_role_policy) == trust
    assert normalise(export(store)) == normalise(doc)


def test_unknown_fields_are_kept_and_exported(tmp_path):
    doc = load("awscli-docs-example.json")
    doc["UserDetailList"][0]["FutureField"] = {"Nested": [1, None]}
    doc["RoleDetailList"][0]["InstanceProfileList"][0]["Shiny"] = True
    store, report = import_(tmp_path, doc)
    assert "page0.json: $.UserDetailList[0].FutureField" in report.kept
    out = export(store)
    assert out["UserDetailList"][0]["FutureField"] == {"Nested": [1, None]}
    assert out["RoleDetailList"][0]["InstanceProfileList"][0]["Shiny"] is True


def test_unknown_nested_and_top_level_fields_are_reported(tmp_path):
    doc = load("awscli-docs-example.json")
    doc["Extra"] = 1
    doc["UserDetailList"][1]["UserPolicyList"][0]["Odd"] = "x"
    _, report = import_(tmp_path, doc)
    assert report.ignored == ["page0.json: $.Extra", "page0.json: $.UserDetailList[1].UserPolicyList[0].Odd"]


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["UserDetailList"][2].__setitem__("UserName", 7),
     "page0.json: $.UserDetailList[2].UserName: expected a string, found a number"),
    (lambda d: d["GroupDetailList"][0].__setitem__("CreateDate", "yesterday"),
     "page0.json: $.GroupDetailList[0].CreateDate: expected a date"),
    (lambda d: d["Policies"][1]["PolicyVersionList"][0]["Document"]["Statement"][0].__setitem__("Effect", "Maybe"),
     "page0.json: $.Policies[1].PolicyVersionList[0].Document: statement #1"),
    (lambda d: d["UserDetailList"][0]["GroupList"].append("Nobody"),
     "page0.json: $.UserDetailList[0].GroupList[1]: group 'Nobody' is not in GroupDetailList"),
    (lambda d: d["RoleDetailList"][0].__setitem__("Path", "no-slashes"),
     "page0.json: $.RoleDetailList[0].Path: path 'no-slashes' must begin and end with /"),
])
def test_a_malformed_file_is_rejected_whole_with_the_json_path_and_nothing_written(tmp_path, mutate, message):
    doc = load("awscli-docs-example.json")
    mutate(doc)
    store = Store(tmp_path / "a")
    with pytest.raises(InvalidInput) as e:
        account_import.import_files(store, [("page0.json", json.dumps(doc))])
    assert message in str(e.value)
    assert not store.exists(), "a rejected import leaves no directory behind"


def test_invalid_json_is_reported_with_line_and_column(tmp_path):
    with pytest.raises(InvalidInput, match=r"bad.json: not valid JSON: .* line 2, column"):
        account_import.import_files(Store(tmp_path / "a"), [("bad.json", '{"UserDetailList": [\n}')])


def test_import_into_a_non_empty_account_is_refused(tmp_path):
    store, _ = import_(tmp_path, load("cloudmapper-demo.json"))
    with pytest.raises(InvalidInput, match=r"account 123456789012 is not empty \(2 users"):
        account_import.import_files(store, [("again.json", (DATA / "cloudmapper-demo.json").read_text())])


def test_import_is_one_transaction(tmp_path):
    """A fault found while writing (the account is not empty) leaves the account as it was."""
    store = Store(tmp_path / "a")
    store.init("123456789012")
    with store.write() as txn:
        from iamctl.core.identities import users

        users.create_user(txn, "existing")
    with pytest.raises(InvalidInput):
        account_import.import_files(store, [("x.json", (DATA / "awscli-docs-example.json").read_text())])
    with store.read() as txn:
        assert txn.keys("user") == ["existing"] and txn.keys("group") == []


def test_pages_are_merged_and_identical_repeats_are_one_entity(tmp_path):
    """Marker pages: each page carries part of the lists; all pages imported together."""
    doc = load("awscli-docs-example.json")
    page1 = {"UserDetailList": doc["UserDetailList"][:2], "GroupDetailList": doc["GroupDetailList"],
             "Policies": doc["Policies"][:1], "IsTruncated": True, "Marker": "m1"}
    page2 = {"UserDetailList": doc["UserDetailList"][1:], "RoleDetailList": doc["RoleDetailList"],
             "Policies": doc["Policies"][1:], "IsTruncated": False}
    store, report = import_(tmp_path, page1, page2)
    assert report.counts["users"] == 3 and report.counts["policies"] == 2
    assert normalise(export(store)) == normalise(doc)


def test_the_same_entity_listed_differently_in_two_pages_is_an_error(tmp_path):
    doc = load("awscli-docs-example.json")
    other = copy.deepcopy(doc["UserDetailList"][0])
    other["UserId"] = "AIDADIFFERENT"
    with pytest.raises(InvalidInput, match=r"p1.json: \$.UserDetailList\[0\]: user 'Alice' is listed twice"):
        import_(tmp_path, doc, {"UserDetailList": [other]}, names=["p0.json", "p1.json"])


def test_a_page_referring_to_a_group_on_a_missing_page_says_to_import_every_page(tmp_path):
    doc = load("awscli-docs-example.json")
    with pytest.raises(InvalidInput, match="import every page together"):
        import_(tmp_path, {"UserDetailList": doc["UserDetailList"]})


def test_retired_aws_managed_policy_resolves_from_the_files_copy(tmp_path):
    """AWSLambdaFullAccess is no longer an AWS managed policy; the file carries its document."""
    store, _ = import_(tmp_path, load("cloudsplaining-test-example-authz-details.json"))
    with store.read() as txn:
        text = documents.managed_document(txn, "arn:aws:iam::aws:policy/AWSLambdaFullAccess")
    assert "lambda:*" in text


def test_attachment_counts_follow_local_changes(tmp_path):
    """AttachmentCount = what AWS counted (including attachments outside the file) + local changes."""
    store, _ = import_(tmp_path, load("awscli-docs-example.json"))
    arn = "arn:aws:iam::123456789012:policy/S3-read-only-specific-bucket"
    with store.write() as txn:
        policies.attach_policy(txn, "user", "Alice", arn)
    policy = next(p for p in export(store)["Policies"] if p["Arn"] == arn)
    assert policy["AttachmentCount"] == 2  # AWS said 1 (not in this page), plus Alice


def test_logical_ids_are_alphanumeric_and_distinct():
    taken: set[str] = set()
    a = cloudformation.logical_id("User", "a-b", taken)
    b = cloudformation.logical_id("User", "ab", taken)
    c = cloudformation.logical_id("User", "a.b@c", taken)
    assert a != b and all(x.isalnum() for x in (a, b, c)) and b == "UserAb"


def test_cloudformation_template_shape(tmp_path):
    store, _ = import_(tmp_path, load("awscli-docs-example.json"))
    with store.read() as txn:
        template = cloudformation.export_cloudformation(txn)
    json.dumps(template)  # valid JSON
    resources = template["Resources"]
    types = sorted({r["Type"] for r in resources.values()})
    assert types == ["AWS::IAM::Group", "AWS::IAM::InstanceProfile", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role",
                     "AWS::IAM::User"]
    bob = resources["UserBob"]["Properties"]
    assert bob["Groups"] == [{"Ref": "GroupAdmins"}]
    assert bob["Policies"][0]["PolicyName"] == "DenyBillingAndIAMPolicy"
    assert "LoginProfile" not in bob, "no secrets"
    assert resources["InstanceProfileEC2role"]["Properties"]["Roles"] == [{"Ref": "RoleEC2role"}]
    assert resources["RoleEC2role"]["Properties"]["ManagedPolicyArns"][0] == "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    assert all(k.isalnum() for k in resources)


def test_cloudformation_refs_customer_policies_and_skips_aws_reserved_tags(tmp_path):
    store, _ = import_(tmp_path, load("cloudsplaining-test-example-authz-details.json"))
    with store.write() as txn:
        role = txn.require("role", "OverprivilegedEC2")
        role.tags["aws:cloudformation:stack-name"] = "s"
        role.tags["team"] = "x"
        txn.put("role", role)
    with store.read() as txn:
        props = cloudformation.export_cloudformation(txn)["Resources"]["RoleOverprivilegedEC2"]["Properties"]
    assert props["ManagedPolicyArns"] == [{"Ref": "PolicyInsecurePolicy"}]
    assert props["Tags"] == [{"Key": "team", "Value": "x"}]


def test_dates_normalise_to_utc():
    assert normalise_date("2023-03-09 10:41:45+00:00") == "2023-03-09T10:41:45Z"
    assert normalise_date("2018-10-19T21:45:27+02:00") == "2018-10-19T19:45:27Z"
    assert normalise_date("2015-02-06T18:39:46.500Z") == "2015-02-06T18:39:46.5Z"
