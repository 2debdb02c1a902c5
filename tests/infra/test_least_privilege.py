"""Least privilege, proven: every AWS call a Lambda function makes in the integration and end-to-end tests
(recorded by `make aws-calls` into tests/infra/aws_calls.json) is granted by its role in the synthesized
template, and every grant is used by some call, or is in ALLOWED_UNUSED below with the reason no local test
can use it. The report (per function: granted, and what uses it) is printed and written to the synth's
output folder as least-privilege.txt.

The record is committed; refresh it with `make aws-calls` after changing what a function calls.
"""

from __future__ import annotations

import re

import pytest

from stacks.function import DamFunction
from tests.infra.least_privilege import FunctionReport, Grant, compare, grants, read_record, text
from tests.infra.synth import INFRA_MARKS, Synth

pytestmark = INFRA_MARKS

EVENT_SOURCE = "the event source mapping polls and deletes with the function's role (Lambda, not our code)"
ON_AWS_ONLY = "DAM_{0}=bedrock on AWS; locally a deterministic fake {1} answers (no Bedrock)"
OPENSEARCH = (
    "OpenSearch is not in the local stack (its embedded engine is); the paths are what dam/search/opensearch.py "
    "sends, checked against stacks/search.py by tests/unit/search/test_opensearch_grants.py"
)
# (function glob, action glob, resource glob) → why the grant is needed on AWS though no local test uses it.
# `{function}` stands for the function's own construct path.
ALLOWED_UNUSED: dict[tuple[str, str, str], str] = {
    ("*", "logs:CreateLogStream", "${{function}/Logs}"): "the Lambda runtime writes the function's logs",
    ("*", "logs:PutLogEvents", "${{function}/Logs}"): "the Lambda runtime writes the function's logs",
    # X-Ray has no resource-level permissions: its actions take `*`.
    ("*", "xray:PutTraceSegments", "*"): "active tracing: the runtime and the X-Ray SDK send segments",
    ("*", "xray:PutTelemetryRecords", "*"): "active tracing: the runtime and the X-Ray SDK send segments",
    ("Ingest/Handler", "sqs:*", "${Ingest/Uploads}"): EVENT_SOURCE,
    ("LibraryWorker/Handler", "sqs:*", "${LibraryWorker/Cleanups}"): EVENT_SOURCE,
    ("Search/Indexer", "dynamodb:*", "${Storage/Assets.StreamArn}"): EVENT_SOURCE,
    ("Audit/Handler", "dynamodb:*", "${Storage/Assets.StreamArn}"): EVENT_SOURCE,
    ("Audit/Handler", "dynamodb:*", "${Storage/Library.StreamArn}"): EVENT_SOURCE,
    ("Audit/Handler", "dynamodb:ListStreams", "*"): EVENT_SOURCE,
    ("Audit/Handler", "sqs:*", "${Audit/DeadLetters}"): "the event source mappings' on-failure destination: "
    "Lambda sends a failed batch's description with the function's role",
    # ListStreams takes no resource.
    ("Search/Indexer", "dynamodb:ListStreams", "*"): EVENT_SOURCE,
    ("Search/Indexer", "sqs:*", "${Search/IndexerDeadLetters}"): "the event source mapping's on-failure "
    "destination: Lambda sends a failed batch's description with the function's role",
    ("Pipeline/RecordFailure", "sqs:SendMessage", "${Pipeline/RunEndDeadLetters}"): "the on-failure destination "
    "of its asynchronous (EventBridge) invocations: Lambda sends the failed event with the function's role",
    ("Search/Indexer", "es:ESHttp*", "${Search/Domain}/*"): OPENSEARCH,
    ("Api/Handler", "es:ESHttp*", "${Search/Domain}/*"): OPENSEARCH,
    ("Pipeline/Analyze", "bedrock:InvokeModel", "arn:aws:bedrock:*"): ON_AWS_ONLY.format("ANALYZER", "analyzer"),
    ("Pipeline/Embed", "bedrock:InvokeModel", "arn:aws:bedrock:*"): ON_AWS_ONLY.format("EMBEDDER", "embedder"),
    ("Api/Handler", "bedrock:InvokeModel", "arn:aws:bedrock:*"): "the assistant and query embeddings: "
    + ON_AWS_ONLY.format("ASSISTANT and DAM_EMBEDDER", "model"),
    # Code paths the recorded tests do not reach:
    ("LibraryWorker/Handler", "dynamodb:GetItem", "${Storage/Assets}"): "an asset saved meanwhile (Conflict) "
    "is read again before the next try (CleanupService._unassign)",
    ("LibraryWorker/Handler", "dynamodb:Query", "${Storage/Assets}/index/by_run"): "purging generated content "
    "drops its run's automatic collection once the run has no asset left (forget_run_if_empty); no recorded "
    "test lets generated content expire from the trash",
    ("LibraryWorker/Handler", "dynamodb:DeleteItem", "${Storage/Library}"): "the same: the run's collection "
    "record goes with the run's last asset",
    ("LibraryWorker/Handler", "s3:AbortMultipartUpload", "${Storage/Media}/assets/*"): "an expired asset that "
    "went up in parts still names its upload; the purge's cascade aborts it (no recorded test lets a "
    "multipart upload expire from the trash)",
    ("Pipeline/RecordFailure", "dynamodb:PutItem", "${Storage/Library}"): "a later version that fails gets its "
    "own record updated (ProcessingService._update); no recorded test fails a version other than the first",
}
# Actions that take no resource (IAM requires `*`).
RESOURCELESS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}
# A wildcard standing for a whole bucket, table's indexes, domain or account's resources of a kind.
TOO_BROAD = re.compile(r"^\$\{[^}]+\}/\*$|/index/\*$|:table/\*$|:stateMachine:\*$")


def functions(synth: Synth) -> dict[str, DamFunction]:
    """Every Lambda function of ours, by construct path (`Pipeline/Register`)."""
    stack_path = synth.stack.node.path
    return {
        construct.node.path.removeprefix(f"{stack_path}/"): construct
        for construct in synth.stack.node.find_all()
        if isinstance(construct, DamFunction)
    }


def _allowed(function: str) -> dict[tuple[str, str], str]:
    return {
        (action, resource.replace("{function}", function)): reason
        for (functions_glob, action, resource), reason in ALLOWED_UNUSED.items()
        if re.fullmatch(functions_glob.replace("*", ".*"), function)
    }


@pytest.fixture(scope="module")
def reports(synth: Synth, tmp_path_factory: pytest.TempPathFactory) -> dict[str, FunctionReport]:
    record = read_record()
    found = {
        name: compare(name, grants(synth, synth.role_statements(function.role)), record.get(name, []), _allowed(name))
        for name, function in sorted(functions(synth).items())
    }
    report = text(found.values())
    (synth.outdir / "least-privilege.txt").write_text(report)
    print(f"\n{report}")
    return found


def test_the_record_names_only_functions_of_the_stack(synth: Synth) -> None:
    assert set(read_record()) <= set(functions(synth)), "refresh the record: make aws-calls"


def test_every_call_is_granted(reports: dict[str, FunctionReport]) -> None:
    missing = {name: [str(used) for used in report.ungranted] for name, report in reports.items() if report.ungranted}
    assert not missing, f"calls the role does not allow (fix stacks/): {missing}"


def test_every_grant_is_used(reports: dict[str, FunctionReport]) -> None:
    unused = {name: [str(grant) for grant in report.unused] for name, report in reports.items() if report.unused}
    assert not unused, f"grants no call uses (narrow them in stacks/, or allow-list them with a reason): {unused}"


def test_no_wildcard_actions_nor_whole_resources(reports: dict[str, FunctionReport]) -> None:
    broad: list[str] = []
    for name, report in reports.items():
        for grant in report.grants:
            if "*" in grant.action:
                broad.append(f"{name}: {grant} (a wildcard action)")
            if grant.resource == "*" and grant.action not in RESOURCELESS:
                broad.append(f"{name}: {grant} (every resource)")
            if TOO_BROAD.search(grant.resource):
                broad.append(f"{name}: {grant} (a whole bucket, domain or set of indexes)")
    assert not broad, broad


def test_listings_are_scoped_to_a_prefix(reports: dict[str, FunctionReport]) -> None:
    """s3:ListBucket and s3:ListBucketVersions on the bucket itself: only with an `s3:prefix` condition."""
    unscoped: list[Grant] = [
        grant
        for report in reports.values()
        for grant in report.grants
        if grant.action in {"s3:ListBucket", "s3:ListBucketVersions"} and not grant.prefixes
    ]
    assert not unscoped, unscoped


def test_every_function_is_exercised(synth: Synth) -> None:
    """Each function either made calls in the recorded tests or is known to make none locally."""
    silent = set(functions(synth)) - set(read_record())
    # The indexer writes to the embedded search engine locally: it calls nothing through botocore.
    assert silent <= {"Search/Indexer"}, f"no recorded calls for {sorted(silent)}: add a test to make aws-calls"
