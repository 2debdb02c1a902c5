"""Compares what each Lambda function calls (tests/infra/aws_calls.json, `make aws-calls`) with what its role
grants in the synthesized template: both as (IAM action, resource) pairs, resources written the way
`dam_local.aws_calls` writes them (`${Storage/Media}/assets/*`: a construct path for a resource of the stack)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tests.infra.synth import Synth, actions, resources

RECORD = Path(__file__).with_name("aws_calls.json")
LIST_PREFIX = "?prefix="


@dataclass(frozen=True)
class Grant:
    """One action on one resource pattern of a role's policy, with the `s3:prefix` patterns it may list."""

    action: str
    resource: str
    prefixes: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f" (s3:prefix {', '.join(self.prefixes)})" if self.prefixes else ""
        return f"{self.action} {self.resource}{where}"


@dataclass(frozen=True)
class Used:
    action: str
    resource: str
    call: str

    def __str__(self) -> str:
        return f"{self.action} {self.resource}  ← {self.call}"


@dataclass
class FunctionReport:
    function: str
    grants: list[Grant]
    calls: list[Used]
    ungranted: list[Used] = field(default_factory=list)
    unused: list[Grant] = field(default_factory=list)
    allowed_unused: list[tuple[Grant, str]] = field(default_factory=list)


def read_record(path: Path = RECORD) -> dict[str, list[Used]]:
    data: dict[str, list[dict[str, str]]] = json.loads(path.read_text())
    return {function: [Used(**entry) for entry in calls] for function, calls in data.items()}


def construct_key(synth: Synth, logical_id: str) -> str:
    """`dam-dev/Storage/Assets/Resource` → `Storage/Assets` (how the record names the stack's resources)."""
    path = synth.path(logical_id)
    return path.split("/", 1)[1].removesuffix("/Resource")


def render(synth: Synth, value: Any) -> str:
    """A policy resource (a string or CloudFormation intrinsics) in the record's notation."""
    if isinstance(value, str):
        return value
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        suffix = "" if attribute == "Arn" else f".{attribute}"  # a table's StreamArn
        return f"${{{construct_key(synth, logical_id)}{suffix}}}"
    if "Ref" in value:
        name = value["Ref"]
        if name == "AWS::Partition":
            return "aws"
        if name.startswith("AWS::"):
            return f"${{{name}}}"
        return f"${{{construct_key(synth, name)}}}"  # a state machine's Ref is its ARN
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(synth, part) for part in parts)
    raise AssertionError(f"unexpected intrinsic in a policy: {value}")


def grants(synth: Synth, statements: Iterable[dict[str, Any]]) -> list[Grant]:
    found: set[Grant] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow", statement
        condition = statement.get("Condition", {})
        prefixes = tuple(condition.get("StringLike", {}).get("s3:prefix", ()))
        assert set(condition) <= ({"StringLike"} if prefixes else set()), f"unexpected condition: {statement}"
        for action in actions(statement):
            for resource in resources(statement):
                found.add(Grant(action, render(synth, resource), prefixes))
    return sorted(found, key=str)


@cache
def _pattern(glob: str) -> re.Pattern[str]:
    """IAM's wildcards: `*` any characters (`/` too), `?` one."""
    return re.compile("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in glob) + r"\Z")


def matches(glob: str, text: str) -> bool:
    return _pattern(glob).match(text) is not None


def covers(grant: Grant, used: Used) -> bool:
    """The grant allows the call: the same action, the resource within the pattern, a listing's prefix within
    the condition. Recorded `*`s stand for ids: a pattern's `*` matches them as any other characters."""
    if not matches(grant.action, used.action):
        return False
    resource, _, prefix = used.resource.partition(LIST_PREFIX)
    if not matches(grant.resource, resource):
        return False
    return not grant.prefixes or any(matches(pattern, prefix) for pattern in grant.prefixes)


def compare(
    function: str, granted: list[Grant], calls: list[Used], allowed: dict[tuple[str, str], str]
) -> FunctionReport:
    """`allowed`: (action glob, resource glob) → why a grant no local test can use is needed on AWS."""
    report = FunctionReport(function, granted, calls)
    report.ungranted = [used for used in calls if not any(covers(grant, used) for grant in granted)]
    for grant in granted:
        if any(covers(grant, used) for used in calls):
            continue
        reason = next(
            (
                why
                for (action, resource), why in allowed.items()
                if matches(action, grant.action) and matches(resource, grant.resource)
            ),
            None,
        )
        if reason is None:
            report.unused.append(grant)
        else:
            report.allowed_unused.append((grant, reason))
    return report


def text(reports: Iterable[FunctionReport]) -> str:
    lines = ["Least privilege: each function's grants (synthesized template) against its calls (aws_calls.json)", ""]
    for report in reports:
        lines.append(f"{report.function}: {len(report.grants)} grants, {len(report.calls)} recorded calls")
        for grant in report.grants:
            users = [used.call for used in report.calls if covers(grant, used)]
            why = dict((str(g), r) for g, r in report.allowed_unused).get(str(grant))
            used = (
                f"used by {', '.join(sorted(set(users)))}"
                if users
                else f"not called locally: {why}"
                if why
                else "UNUSED"
            )
            lines.append(f"  granted {grant}  — {used}")
        lines.extend(f"  NOT GRANTED {used}" for used in report.ungranted)
        lines.append("")
    return "\n".join(lines)
