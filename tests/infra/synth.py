"""Synthesizes the CDK app (template only: asset bundling skipped) and looks resources up in it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# The synth fixtures are per session, so per xdist worker: `--dist loadgroup` keeps the infra tests on one
# worker; `make test`'s `--dist loadfile` ignores the group and each worker given an infra file synthesizes
# once (~8 s, the workers in parallel).
INFRA_MARKS = [pytest.mark.infra, pytest.mark.xdist_group("cdk")]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALARM_TOPIC = "arn:aws:sns:eu-west-1:123456789012:dam-alarms"
# As the CLI synthesizes: asset bundling skipped, and every resource's construct path in its metadata.
TEMPLATE_ONLY: dict[str, Any] = {"aws:cdk:bundling-stacks": [], "aws:cdk:enable-path-metadata": True}
PATH_METADATA = "aws:cdk:path"
# What every function role carries: its own log group, and X-Ray's actions (which take no resource).
LOGS_AND_TRACING = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}


@dataclass
class Synth:
    """One synthesized stage: the app and stack objects, the template, and what validation said."""

    app: Any
    stack: Any
    outdir: Path
    template: dict[str, Any]
    validation_error: str | None

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == resource_type}

    def one(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        found = self.of_type(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def event_source_mapping(self, source_arn: Any, function: Any = None) -> dict[str, Any]:
        """The properties of the one event source mapping that reads `source_arn` (a queue, a stream), into
        `function` when given (a stream may feed several functions)."""
        mappings = self.of_type("AWS::Lambda::EventSourceMapping").values()
        into = {"Ref": self.logical_id(function)} if function is not None else None
        (props,) = [
            m["Properties"]
            for m in mappings
            if m["Properties"]["EventSourceArn"] == source_arn and into in (None, m["Properties"]["FunctionName"])
        ]
        return props

    def logical_id(self, construct: Any) -> str:
        """The template id of an L2 construct (its default child) or an L1."""
        resource = getattr(construct.node, "default_child", None) or construct
        return str(self.stack.get_logical_id(resource))

    def properties(self, construct: Any) -> dict[str, Any]:
        return self.resources[self.logical_id(construct)]["Properties"]

    def path(self, logical_id: str) -> str:
        """The construct path the template's metadata gives a resource, e.g. `dam-dev/Pipeline/Logs/Resource`."""
        return str(self.resources[logical_id]["Metadata"][PATH_METADATA])

    def role_statements(self, role: Any) -> list[dict[str, Any]]:
        """Every statement of every policy attached to a role that carries no managed or inline policy."""
        role_id = self.logical_id(role)
        props = self.resources[role_id]["Properties"]
        assert "ManagedPolicyArns" not in props, "function roles carry no AWS managed policies"
        assert "Policies" not in props
        return [
            statement
            for policy in self.of_type("AWS::IAM::Policy").values()
            if {"Ref": role_id} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]

    def validation_report(self) -> dict[str, Any]:
        return json.loads((self.outdir / "validation-report.json").read_text())


def synthesize(outdir: Path, context: dict[str, Any], *, bundle: bool = False) -> Synth:
    """Template-only unless `bundle`: skipping asset bundling keeps a synth at a few seconds."""
    from stacks.dam_stack import DamStack, build_app

    app = build_app(outdir=str(outdir), context=context if bundle else {**TEMPLATE_ONLY, **context})
    (stack,) = [child for child in app.node.children if isinstance(child, DamStack)]
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag findings: the templates are written, the synth then raises
        error = str(exc)
    template = json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
    return Synth(app=app, stack=stack, outdir=outdir, template=template, validation_error=error)


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def actions(statement: dict[str, Any]) -> list[str]:
    found = statement["Action"]
    return [found] if isinstance(found, str) else found


def resources(statement: dict[str, Any]) -> list[Any]:
    found = statement["Resource"]
    return found if isinstance(found, list) else [found]
