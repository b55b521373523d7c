"""The engine's compile-free paths give the answers of the compiled ones they stand in for.

Parsing compiles nothing (issue 21 item 4): wildcards are matched in Python until a pattern set
has been asked `COMPILE_AFTER` times, a pattern with a policy variable is substituted and matched
as a plain wildcard pattern, an IPv4 range is two integers, and a policy's Action lists are tested
on its first request for an action. Each of these is checked here against what it replaces: the
reference wildcard matcher (tests/policy/test_wildcards.py, which follows "IAM JSON policy
elements: Resource": each of the first five ARN segments matched on its own), the regex of a
substituted pattern, the `ipaddress` module ("Condition operators": IP address condition
operators, CIDR format), and `Statement.matches_action` ("IAM JSON policy elements: Action",
"NotAction").
"""

from __future__ import annotations

import ipaddress
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from test_wildcards import ALPHABET, reference_match

from iamctl.core.engine import grammar
from iamctl.core.engine.conditions import ConditionEvaluationError
from iamctl.core.engine.decision import evaluate
from iamctl.core.engine.match import COMPILE_AFTER, Globs, PatternSet, compiled_regex, resolve_fragments
from iamctl.core.engine.parse import parse_policy
from iamctl.core.engine.request import make_request
from iamctl.core.engine.variables import Exact, Var, parse_template

patterns = st.text(alphabet=ALPHABET, min_size=1, max_size=8)
values = st.text(alphabet="ab:/", max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(patterns, min_size=17, max_size=40), st.lists(values, min_size=1, max_size=5), st.booleans())
def test_a_long_pattern_list_matches_when_one_of_its_patterns_does(pats, asked, arn) -> None:
    """Lists longer than 16 patterns (AWS managed policies list thousands of actions) are sorted
    in bulk; a list matches a value exactly when one of its patterns does ("*" matches all)."""
    pset = PatternSet.compile(tuple(pats), arn=arn, lower=False, variables=False)
    for value in asked:
        expected = any(p == "*" or reference_match(p, value, arn=arn) for p in pats)
        assert pset.matches(value) == expected, (pats, value, arn)


@settings(max_examples=300, deadline=None)
@given(st.lists(patterns, min_size=1, max_size=3), st.lists(values, min_size=1, max_size=4), st.booleans())
def test_wildcards_answer_the_same_before_and_after_their_regex_is_compiled(pats, asked, arn) -> None:
    """A `Globs` matches in Python for its first COMPILE_AFTER calls and with one regex after:
    every answer, on both sides of the switch, is the reference matcher's."""
    globs = Globs(tuple(pats), arn=arn)
    for n in range(2 * COMPILE_AFTER + 2):
        value = asked[n % len(asked)]
        expected = any(reference_match(p, value, arn=arn) for p in pats)
        assert (globs.fullmatch(value) is not None) == expected, (pats, value, arn, n)


TEMPLATE_PARTS = st.text(alphabet="ab/:*?", max_size=5)


@settings(max_examples=800, deadline=None)
@given(TEMPLATE_PARTS, TEMPLATE_PARTS, st.one_of(st.none(), st.text(alphabet="ab:*?", max_size=4)),
       st.text(alphabet="ab/:*?", max_size=10), st.booleans(), st.booleans())
def test_a_substituted_variable_matches_as_its_regex_does(left, right, name, tail, early, exhaustive) -> None:
    """IAM User Guide, "IAM policy elements: Variables": a substituted value is data (its `*` is
    a star) and a variable without a value matches nothing. The pattern substituted as text and
    matched without a regex agrees with the escaped regex, and notes the same missing key (the
    regex way notes it when the pattern could match with some value: its skeleton)."""
    head = "arn:aws:${aws:username}:" if early else "arn:aws:s3:::"
    pattern = f"{head}{left}${{aws:username}}{right}"
    pset = PatternSet.compile((pattern,), arn=True, lower=False, variables=True)
    ctx = {} if name is None else {"aws:username": name}
    resource = f"{head.replace('${aws:username}', 'x')}{tail}"
    missing: set[str] = set()
    got = pset.matches(resource, ctx, missing, exhaustive=exhaustive)
    src = resolve_fragments(pset.templated[0], ctx, None)
    expected = src is not None and compiled_regex(src).fullmatch(resource) is not None
    assert got == expected, (pattern, name, resource)
    could = exhaustive or pset.skeletons[0].fullmatch(resource) is not None
    assert missing == ({"aws:username"} if name is None and could else set()), (pattern, resource)


octets = st.one_of(st.integers(0, 300).map(str), st.sampled_from(["00", "01", "255", " 7"]))
ipv4 = st.builds("{}.{}.{}.{}".format, octets, octets, octets, octets)
ranges = st.one_of(
    ipv4,
    st.builds("{}/{}".format, ipv4, st.one_of(st.integers(0, 40).map(str), st.sampled_from(["08", "255.0.0.0"]))),
    st.sampled_from(["2001:db8::/32", "::ffff:10.0.0.0/104"]),
)
addresses = st.one_of(ipv4, st.sampled_from(["2001:db8::1", "::ffff:10.0.0.1", "not-an-ip"]))


@settings(max_examples=1500, deadline=None)
@given(ranges, addresses)
def test_ip_ranges_are_read_and_matched_as_the_ipaddress_module_does(cidr, address) -> None:
    """IpAddress takes what `ipaddress.ip_network(value, strict=False)` takes, and an address is
    in a range as `ipaddress` says (both without surrounding blanks); the common a.b.c.d/n form
    is read without the module."""
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        network = None
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": cidr}}}]}
    try:
        policy = parse_policy(doc)
    except Exception:  # noqa: BLE001 - MalformedPolicyDocument, asserted below
        assert network is None, cidr
        return
    assert network is not None, cidr
    try:
        addr = ipaddress.ip_address(address.strip())
    except ValueError:
        addr = None
    cond = policy.statements[0].conditions[0]
    if addr is None:
        try:
            cond.evaluate({"aws:sourceip": address})
        except ConditionEvaluationError:
            return
        raise AssertionError(f"{address!r} read as an address")
    assert cond.evaluate({"aws:sourceip": address}) == (addr.version == network.version and addr in network)


ACTION_PATTERNS = ["*", "s3:*", "s3:Get*", "s3:GetObject", "s3:*Object", "s3:?etObject", "ec2:*", "iam:*User*",
                   "*:Get*", "s3*:Get?bject", "S3:GETOBJECT"]
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3express:GetObject", "ec2:RunInstances", "iam:GetUser", "sts:Foo", "x"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=20), st.booleans()),
                min_size=1, max_size=6), st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=4))
def test_a_policys_statements_for_an_action_are_those_whose_action_matches(stmts, asked) -> None:
    """The per-action statement list a decision reads (tested in line on the first request) is
    exactly the statements whose Action, or NotAction, matches ("IAM JSON policy elements:
    NotAction": it matches every action except those listed), asked once or again."""
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction" if negated else "Action": acts, "Resource": "*"}
        for acts, negated in stmts if not (negated and "*" in acts)] or [{"Effect": "Allow", "Action": "*",
                                                                          "Resource": "*"}]}
    policy = parse_policy(doc)
    for action in asked * 2:
        action_l = action.lower()
        assert policy.statements_for(action_l) == tuple(s for s in policy.statements if s.matches_action(action_l))
    result = evaluate(make_request(asked[0]), identity=[policy])
    assert result.decision == ("allowed" if policy.statements_for(asked[0].lower()) else "implicitDeny")


# The grammar's own statement of a well-formed action ("IAM JSON policy elements: Action": `*`
# or service:action, with wildcards), as a regex: the oracle for the regex-free check.
ACTION_RULE = re.compile(r"\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?_.-]+")


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="aZ09*?-_.:\n é", max_size=10), st.sampled_from([1, 300]))
def test_actions_are_checked_as_the_grammar_pattern_says(text, copies) -> None:
    """Short Action lists are checked character set by character set, long ones (ReadOnlyAccess)
    by one regex over the joined list: both take exactly what the pattern takes."""
    expected = ACTION_RULE.fullmatch(text) is not None
    assert grammar.is_action(text) == expected, text
    assert grammar.all_actions([text] * copies) == expected, text


VARIABLE_BODY = re.compile(r"\s*([^\s,']+)\s*(?:,\s*'([^']*)'\s*)?")


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab ,'\t\u00a0*:/", max_size=12))
def test_variable_bodies_are_read_as_key_and_default(body) -> None:
    """IAM User Guide, "IAM policy elements: Variables": `${key}` or `${key, 'default'}`, spaces
    allowed around the comma; anything else is left as text."""
    template = parse_template("x${" + body + "}")
    m = VARIABLE_BODY.fullmatch(body)
    if body in ("*", "?", "$"):
        assert template == ("x", Exact(body))
    elif m is None:
        assert template is None
    else:
        assert template == ("x", Var(m.group(1).lower(), m.group(2), m.group(1)))
