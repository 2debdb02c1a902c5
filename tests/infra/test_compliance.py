"""cdk-nag (AWS Solutions) and cfn-lint on the synthesized templates."""

from __future__ import annotations

from typing import Any

import pytest
from cfnlint.api import lint_file

from tests.infra.synth import INFRA_MARKS, Synth

pytestmark = INFRA_MARKS

ACKNOWLEDGED = "aws:cdk:acknowledged-rules"


def _acknowledgments(synth: Synth) -> set[tuple[str, str]]:
    return {
        (construct.node.path, rule_id)
        for construct in synth.app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == ACKNOWLEDGED
        for rule_id in entry.data
    }


def _nag_report(synth: Synth) -> dict[str, Any]:
    (report,) = [r for r in synth.validation_report()["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    return report


def test_cdk_nag_has_no_unacknowledged_finding(synth: Synth) -> None:
    # cdk-nag 3 runs as a CDK validation plugin: findings make the synth raise and land in the report.
    report = _nag_report(synth)
    findings = [
        f"{v['ruleName']} at {c['constructPath']}" for v in report["violations"] for c in v["violatingConstructs"]
    ]
    assert findings == []
    assert synth.validation_error is None
    assert report["conclusion"] == "success"


def test_every_acknowledgment_is_used_and_explained(synth: Synth) -> None:
    """A stale acknowledgment (its finding fixed or moved) would silently cover a future finding."""
    suppressed = _nag_report(synth)["suppressedViolations"]
    used = {(s["acknowledgedAt"], s["acknowledgedId"]) for s in suppressed}
    assert _acknowledgments(synth) == used
    assert all(len(s["reason"]) >= 40 for s in suppressed)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_cfn_lint_finds_no_errors(synth: Synth, prod_synth: Synth, stage: str) -> None:
    chosen = {"dev": synth, "prod": prod_synth}[stage]
    matches = lint_file(chosen.outdir / f"{chosen.stack.stack_name}.template.json")
    # Warnings are allowed: CDK's own redundant DependsOn entries give W3005.
    errors = [str(match) for match in matches if match.rule.severity == "error"]
    assert errors == []
