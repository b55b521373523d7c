"""Wildcard matching against a plain reference matcher, and its cost on hostile patterns.

IAM User Guide, "IAM JSON policy elements: Resource" and "Condition operators" (ARN condition
operators): `*` matches any run of characters and `?` one character; in an ARN each of the first
five colon-delimited components is matched separately, so their wildcards never cross a colon.
"""

from __future__ import annotations

import time
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from iamctl.core.engine.decision import evaluate
from iamctl.core.engine.match import PatternSet, glob_regex
from iamctl.core.engine.parse import parse_policy
from iamctl.core.engine.request import make_request


def reference_match(pattern: str, value: str, *, arn: bool) -> bool:
    """Dynamic programming over (pattern position, value position): obviously right, slow."""
    segments = []  # for each pattern position, whether its wildcard is confined to a segment
    seg = 0
    for ch in pattern:
        segments.append(arn and seg < 5)
        if ch == ":" and arn:
            seg += 1

    @cache
    def go(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(value)
        ch = pattern[i]
        if ch == "*":
            if go(i + 1, j):
                return True
            return j < len(value) and not (segments[i] and value[j] == ":") and go(i, j + 1)
        if j == len(value):
            return False
        if ch == "?":
            return not (segments[i] and value[j] == ":") and go(i + 1, j + 1)
        return ch == value[j] and go(i + 1, j + 1)

    return go(0, 0)


ALPHABET = "ab:/*?"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=10), st.text(alphabet="ab:/", max_size=12), st.booleans())
def test_wildcards_agree_with_the_reference_matcher(pattern, value, arn) -> None:
    """Both the regex and a compiled pattern set (which tests a final lone `*` as a prefix,
    without a regex) agree with the reference. A pattern of just `*` is the one exception:
    "Resource": "*" matches every resource, ARN or not."""
    expected = reference_match(pattern, value, arn=arn)
    assert (glob_regex(pattern, arn=arn).fullmatch(value) is not None) == expected, (pattern, value, arn)
    assert matches(pattern, value, arn=arn) == (expected or pattern == "*"), (pattern, value, arn)


def matches(pattern: str, value: str, *, arn: bool) -> bool:
    return PatternSet.compile((pattern,), arn=arn, lower=False, variables=False).matches(value)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="ab:*?", max_size=8), st.text(alphabet="ab:/", max_size=14))
def test_arn_resource_wildcards_agree_after_the_fifth_colon(tail, value) -> None:
    pattern = "arn:aws:s3:::" + tail
    expected = reference_match(pattern, "arn:aws:s3:::" + value, arn=True)
    assert (glob_regex(pattern, arn=True).fullmatch("arn:aws:s3:::" + value) is not None) == expected
    assert matches(pattern, "arn:aws:s3:::" + value, arn=True) == expected


def test_a_final_star_before_the_fifth_colon_stays_in_its_segment() -> None:
    """`arn:aws:iam::*` ends in `*`, but that `*` is the account segment's: it matches an
    account id, not a whole ARN, so it must not be taken for a prefix."""
    assert matches("arn:aws:iam::*", "arn:aws:iam::123456789012", arn=True)
    assert not matches("arn:aws:iam::*", "arn:aws:iam::123456789012:user/alice", arn=True)
    assert matches("arn:aws:iam::123456789012:user/*", "arn:aws:iam::123456789012:user/a:b", arn=True)
    assert matches("s3:Get*", "s3:GetObject", arn=False)


def test_many_stars_cost_linear_time_not_exponential() -> None:
    """A 6 KB policy of `*a*a*a...` must not hang the simulator (it took seconds at 15 stars)."""
    doc = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::" + "*a" * 500,
            "Condition": {"StringLike": {"k:x": "*a" * 500}},
        },
    }
    policy = parse_policy(doc)
    start = time.perf_counter()
    result = evaluate(
        make_request("s3:GetObject", "arn:aws:s3:::" + "a" * 600 + "b", context={"k:x": "a" * 600 + "b"}),
        identity=[policy],
    )
    assert result.decision == "implicitDeny"
    assert time.perf_counter() - start < 1.0
