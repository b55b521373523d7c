"""The technique catalogue covers its two sources, and the README documents every entry."""

from __future__ import annotations

from pathlib import Path

from iamctl.core.analysis.techniques import BY_ID, CATALOGUE, COMPOSITE, EXISTING, PASSROLE

README = (Path(__file__).resolve().parents[3] / "README.md").read_text(encoding="utf-8")

# DataDog pathfinding.cloud, data/paths/<service>/<id>.yaml: 65 paths.
PATHFINDING = (
    [f"apprunner-00{i}" for i in (1, 2)] + [f"bedrock-00{i}" for i in (1, 2)]
    + [f"cloudformation-00{i}" for i in range(1, 6)] + [f"codebuild-00{i}" for i in range(1, 5)]
    + ["datapipeline-001", "ec2instanceconnect-003"] + [f"ec2-00{i}" for i in range(1, 5)]
    + [f"ecs-00{i}" for i in range(1, 6)] + [f"glue-00{i}" for i in range(1, 7)]
    + [f"iam-0{i:02d}" for i in range(1, 22)] + [f"lambda-00{i}" for i in range(1, 7)]
    + [f"sagemaker-00{i}" for i in range(1, 6)] + ["ssm-001", "ssm-002", "sts-001"]
)


def test_every_pathfinding_cloud_path_and_rhino_method_is_in_the_catalogue():
    assert len(PATHFINDING) == 65
    assert set(BY_ID) == set(PATHFINDING) | {"rhino-2"}
    assert len(CATALOGUE) == len(BY_ID)
    assert sorted(t.rhino for t in CATALOGUE if t.rhino) == list(range(1, 22))


def test_passing_a_role_needs_a_service_and_composites_name_their_parts():
    for t in CATALOGUE:
        if t.kind in (PASSROLE, EXISTING):
            assert t.services and t.actions, t.id
            assert all(s.endswith(".amazonaws.com") for s in t.services), t.id
        if t.kind == EXISTING:
            assert t.needs, f"{t.id} takes over a resource the directory cannot see: it must say which"
        if t.kind == COMPOSITE:
            assert len(t.parts) == 2 and all(BY_ID[p].kind != COMPOSITE for p in t.parts), t.id


def test_the_readme_documents_every_technique_with_its_source():
    for t in CATALOGUE:
        assert f"| `{t.id}` | `{t.name}` |" in README, t.id
    assert "https://github.com/DataDog/pathfinding.cloud" in README
    assert "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/" in README
