"""The types a type checker sees (py.typed, PEP 561): the store's per-kind overloads and the
closed sets of values (Literals) agree with what the code does at run time."""

from __future__ import annotations

import tomllib
import typing
from pathlib import Path

import pytest

import iamctl
from iamctl.cli import render
from iamctl.core.engine import decision, parse, validate
from iamctl.core.store import directory, records

ROOT = Path(__file__).resolve().parents[3]


def test_kind_names_are_the_registered_kinds():
    assert set(typing.get_args(records.KindName)) == set(records.KINDS)
    assert set(typing.get_args(records.EntityKind)) <= set(records.KINDS)


@pytest.mark.parametrize("method", ["get", "require", "list"])
def test_each_kind_has_an_overload_returning_its_record_type(method):
    """`txn.get("user", n)` is `User | None` to a type checker because the overload for
    Literal["user"] says so; each overload must name the class the store really decodes."""
    names = {**vars(typing), **vars(records), **vars(directory)}
    seen = {}
    for overload in typing.get_overloads(getattr(directory.Txn, method)):
        hints = typing.get_type_hints(overload, globalns=names)
        (kind,) = typing.get_args(hints["kind"])
        returned = hints["return"]
        if method == "list":
            (returned,) = typing.get_args(returned)
        elif method == "get":
            returned, none = typing.get_args(returned)
            assert none is type(None)
        seen[kind] = returned
    assert seen == {name: kind.cls for name, kind in records.KINDS.items()}


def test_literals_list_the_values_the_code_uses():
    assert typing.get_args(parse.PolicyKind) == parse.KINDS
    assert set(typing.get_args(parse.Effect)) == {"Allow", "Deny"}
    assert set(typing.get_args(decision.Decision)) == {decision.ALLOWED, decision.EXPLICIT_DENY,
                                                       decision.IMPLICIT_DENY}
    assert typing.get_args(validate.FindingType) == validate.FINDING_TYPES
    assert typing.get_args(render.OutputFormat) == render.FORMATS


def test_the_package_is_marked_typed():
    """PEP 561: without py.typed in the installed package, users' type checkers ignore iamctl's
    annotations."""
    assert (Path(iamctl.__file__).parent / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["iamctl"]
