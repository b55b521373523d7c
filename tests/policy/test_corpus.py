"""Run every request of the conformance corpus (tests/policy/cases/*.json) through `evaluate`."""

from __future__ import annotations

import json

import pytest
from policy_corpus import CASES, Case, CorpusError, load_all, load_scenario

from iamctl.core.engine.decision import evaluate

ALL = load_all()


def _label(m) -> str:
    return m.sid if m.sid else f"{m.policy}#{m.index + 1}"


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_corpus_case(case: Case) -> None:
    result = evaluate(case.request, **case.policies)
    exp = case.expect
    context = f"{case.description}\n" + "\n".join(result.explanation)
    assert result.decision == exp["decision"], context
    if "matched" in exp:
        assert sorted(_label(m) for m in result.matched) == sorted(exp["matched"]), context
    if "errors" in exp:
        assert sorted(e.sid or f"{e.policy}#{e.index + 1}" for e in result.errors) == sorted(exp["errors"]), (
            context
        )
    elif result.errors:
        pytest.fail(f"unexpected evaluation errors {result.errors}\n{context}")
    if "missing" in exp:
        assert list(result.missing_context_keys) == exp["missing"], context
    if "explain" in exp:
        assert any(exp["explain"] in line for line in result.explanation), context


def test_corpus_is_large_enough() -> None:
    # The brief asks for at least 250 requests across the scenarios.
    assert len(ALL) >= 250


def test_every_scenario_cites_an_aws_rule() -> None:
    for path in sorted(CASES.glob("*.json")):
        desc = json.loads(path.read_text())["description"]
        assert ":" in desc and ("IAM User Guide" in desc or "AWS" in desc), path.name


def _write(tmp_path, data) -> object:
    p = tmp_path / "case.json"
    p.write_text(json.dumps(data))
    return p


GOOD = {
    "description": "IAM User Guide, Policy evaluation logic: a rule",
    "policies": {
        "identity": [
            {
                "name": "p",
                "document": {
                    "Version": "2012-10-17",
                    "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                },
            }
        ]
    },
    "requests": [{"action": "s3:GetObject", "decision": "allowed"}],
}


def test_loader_accepts_a_well_formed_scenario(tmp_path) -> None:
    assert len(load_scenario(_write(tmp_path, GOOD))) == 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(descripton="typo"),
        lambda d: d["requests"][0].update(decison="allowed"),
        lambda d: d["requests"][0].update(matchd=["x"]),
        lambda d: d["policies"].update(identty=[]),
        lambda d: d["policies"]["identity"][0].update(doc={}),
    ],
    ids=["scenario", "request-decision", "request-matched", "policy-kind", "policy-entry"],
)
def test_loader_rejects_unknown_keys(tmp_path, mutate) -> None:
    data = json.loads(json.dumps(GOOD))
    mutate(data)
    with pytest.raises(CorpusError, match="unknown key"):
        load_scenario(_write(tmp_path, data))


def test_loader_rejects_a_bad_decision_and_an_uncited_description(tmp_path) -> None:
    data = json.loads(json.dumps(GOOD))
    data["requests"][0]["decision"] = "allow"
    with pytest.raises(CorpusError, match="decision"):
        load_scenario(_write(tmp_path, data))
    data = json.loads(json.dumps(GOOD))
    data["description"] = "some rule"
    with pytest.raises(CorpusError, match="cite"):
        load_scenario(_write(tmp_path, data))
