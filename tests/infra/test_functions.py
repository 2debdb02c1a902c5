"""The API and ingest functions: runtime, layers, environment and exactly what their roles may do."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.synth import INFRA_MARKS, LOGS_AND_TRACING, Synth, actions, arn_of, resources
from tests.infra.test_pipeline import flatten

pytestmark = INFRA_MARKS

# Both may start pipeline runs (on the state machine only: test_pipeline.py), the dispatcher one per upload,
# the API re-runs (reanalyze, reprocess).
API_ACTIONS = LOGS_AND_TRACING | {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:BatchWriteItem",  # the library's links, on the library table only
    "s3:PutObject",
    "s3:GetObject",
    "s3:GetObjectVersion",  # links pinned to the checked version (GetObject with versionId)
    "s3:DeleteObjectVersion",  # a delete removes every stored version
    "s3:ListBucketVersions",  # ListObjectVersions, to find them
    "s3:AbortMultipartUpload",  # a multipart upload given up
    "s3:ListMultipartUploadParts",  # ListParts: the parts stored so far
    "states:StartExecution",
    "sqs:SendMessage",  # big library deletes' per-asset work, on the cleanup queue only (test_library_worker.py)
    # Search queries on the domain and their embeddings (exact resources: test_search.py).
    "es:ESHttpGet",
    "es:ESHttpPost",
    "bedrock:InvokeModel",
}
INGEST_ACTIONS = LOGS_AND_TRACING | {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",  # a bulk import's duplicate check, on the checksum index only
    "s3:GetObject",  # a bulk import's archive (never an original: the pipeline checks those)
    "s3:PutObject",  # a bulk import's images, at their originals' keys
    "s3:DeleteObjectVersion",  # the import's archive, once read, with every stored version of it
    "s3:ListBucketVersions",
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "states:StartExecution",
}


def _handler(synth: Synth, name: str) -> Any:
    return {"api": synth.stack.api.handler, "ingest": synth.stack.ingest.handler}[name]


def _function(synth: Synth, name: str) -> dict[str, Any]:
    return synth.properties(_handler(synth, name).function)


def _statements(synth: Synth, name: str) -> list[dict[str, Any]]:
    return synth.role_statements(_handler(synth, name).role)


@pytest.mark.parametrize(
    ("name", "memory", "timeout", "service"), [("api", 1536, 15, "dam-api"), ("ingest", 1024, 300, "dam-ingest")]
)
def test_function_runs_python_312_on_arm_with_both_layers(
    synth: Synth, name: str, memory: int, timeout: int, service: str
) -> None:
    props = _function(synth, name)
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.handler"
    assert (props["MemorySize"], props["Timeout"]) == (memory, timeout)
    assert props["TracingConfig"] == {"Mode": "Active"}
    layers = synth.stack.layers
    media = [{"Ref": synth.logical_id(layers.media)}] if name == "api" else []  # the API converts downloads
    assert props["Layers"] == [
        {"Ref": synth.logical_id(layers.dependencies)},
        *media,
        {"Ref": synth.logical_id(layers.library)},
    ]
    env = props["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == service
    assert env["DAM_ASSETS_TABLE"] == {"Ref": synth.logical_id(synth.stack.storage.table("Assets"))}
    assert env["DAM_MEDIA_BUCKET"] == {"Ref": synth.logical_id(synth.stack.storage.media_bucket)}
    log_group = synth.resources[props["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    assert log_group["RetentionInDays"] > 0


def test_api_gets_the_upload_limit_and_log_level(synth: Synth, prod_synth: Synth) -> None:
    assert _function(synth, "api")["Environment"]["Variables"]["DAM_MAX_UPLOAD_BYTES"] == "5368709120"
    assert _function(synth, "api")["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert _function(prod_synth, "api")["Environment"]["Variables"]["DAM_MAX_UPLOAD_BYTES"] == "1048576"


def test_layers_target_the_functions_runtime_and_architecture(synth: Synth) -> None:
    # CDK's BucketDeployment (the web app's upload, stacks/web.py) brings its own AWS CLI layer for its own function.
    layers = {
        logical_id: layer
        for logical_id, layer in synth.of_type("AWS::Lambda::LayerVersion").items()
        if not synth.path(logical_id).endswith("/AwsCliLayer/Resource")
    }
    shared = synth.stack.layers
    # The media layer (imaging libraries) goes to the pipeline steps that decode files, and to the API
    # for `?format=png|jpg` downloads.
    assert set(layers) == {synth.logical_id(layer) for layer in (shared.library, shared.dependencies, shared.media)}
    for layer in layers.values():
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]


@pytest.mark.parametrize(("name", "expected"), [("api", API_ACTIONS), ("ingest", INGEST_ACTIONS)])
def test_role_allows_exactly_the_listed_actions(synth: Synth, name: str, expected: set[str]) -> None:
    statements = _statements(synth, name)
    assert all(statement["Effect"] == "Allow" for statement in statements)
    allowed = [action for statement in statements for action in actions(statement)]
    assert sorted(set(allowed)) == sorted(expected), "nothing missing, nothing extra"
    assert not [action for action in allowed if "*" in action]


@pytest.mark.parametrize("name", ["api", "ingest"])
def test_object_access_is_limited_to_the_assets_prefix_of_the_media_bucket(synth: Synth, name: str) -> None:
    bucket_arn = arn_of(synth.logical_id(synth.stack.storage.media_bucket))
    prefixes = [{"Fn::Join": ["", [bucket_arn, f"/{p}*"]]} for p in ("assets/", "imports/")]
    for statement in _statements(synth, name):
        listing = {"s3:ListBucket", "s3:ListBucketVersions"}
        object_actions = [a for a in actions(statement) if a.startswith("s3:") and a not in listing]
        if object_actions:
            (resource,) = resources(statement)
            assert resource in prefixes
            if resource == prefixes[1] and name == "api":
                assert object_actions == ["s3:PutObject"]  # the archive's presigned POST, nothing else
        if listing & set(actions(statement)):
            assert resources(statement) == [bucket_arn]
            assert statement["Condition"] in (
                {"StringLike": {"s3:prefix": ["assets/*"]}},
                {"StringLike": {"s3:prefix": ["imports/*"]}},
            )


def _table_and_indexes(synth: Synth, logical_name: str) -> list[Any]:
    table_arn = arn_of(synth.logical_id(synth.stack.storage.table(logical_name)))
    index_names = [index.name for index in synth.stack.storage.specs[logical_name].indexes]
    return [table_arn, *({"Fn::Join": ["", [table_arn, f"/index/{n}"]]} for n in index_names)]


# The API also reads the audit log (Query only: tests/infra/test_audit.py).
@pytest.mark.parametrize(
    ("name", "tables"), [("api", ["Assets", "Library", "Audit"]), ("ingest", ["Assets", "Library"])]
)
def test_table_access_names_the_table_and_its_indexes(synth: Synth, name: str, tables: list[str]) -> None:
    allowed = [arn for table in tables for arn in _table_and_indexes(synth, table)]
    for statement in _statements(synth, name):
        if any(action.startswith("dynamodb:") for action in actions(statement)):
            assert all(resource in allowed for resource in resources(statement))


def test_api_reads_and_writes_both_tables_and_batch_deletes_only_library_links(synth: Synth) -> None:
    statements = [s for s in _statements(synth, "api") if any(a.startswith("dynamodb:") for a in actions(s))]
    library = _table_and_indexes(synth, "Library")
    assets = _table_and_indexes(synth, "Assets")
    items = next(s for s in statements if "dynamodb:GetItem" in actions(s))
    assert resources(items) == [assets[0], library[0]]  # item actions on the tables, never an index
    queries = next(s for s in statements if "dynamodb:Query" in actions(s))
    assert resources(queries) == [*assets[1:], *library]  # every assets index (not the table), the library
    batch = next(s for s in statements if "dynamodb:BatchWriteItem" in actions(s))
    assert actions(batch) == ["dynamodb:BatchWriteItem"] and resources(batch) == [library[0]]


@pytest.mark.parametrize("name", ["api", "ingest"])
def test_api_and_ingest_know_the_library_table(synth: Synth, name: str) -> None:
    variables = _function(synth, name)["Environment"]["Variables"]
    assert variables["DAM_LIBRARY_TABLE"] == {"Ref": synth.logical_id(synth.stack.storage.table("Library"))}


def test_ingest_reads_and_writes_version_records_item_by_item_only(synth: Synth) -> None:
    library = arn_of(synth.logical_id(synth.stack.storage.table("Library")))
    on_library = [s for s in _statements(synth, "ingest") if library in resources(s)]
    assert {action for s in on_library for action in actions(s)} == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",  # on the library table only
    }
    assert not [r for s in on_library for r in resources(s) if "index" in str(r)]
    queries = [s for s in _statements(synth, "ingest") if "dynamodb:Query" in actions(s)]
    assets = arn_of(synth.logical_id(synth.stack.storage.table("Assets")))
    assert [resources(s) for s in queries] == [[{"Fn::Join": ["", [assets, "/index/by_checksum"]]}]]


def test_api_gets_the_media_layer_for_format_conversion(synth: Synth) -> None:
    refs = {ref["Ref"] for ref in _function(synth, "api")["Layers"]}
    assert synth.logical_id(synth.stack.layers.media) in refs


def test_the_api_may_converse_with_the_assistants_model_only(synth: Synth) -> None:
    # Converse "requires permission for the bedrock:InvokeModel action" (Bedrock API reference): on the
    # cross-region inference profile here, and on the model behind it wherever the profile routes.
    from stacks.pipeline import ANALYSIS_MODEL_ID

    (statement,) = [s for s in _statements(synth, "api") if s.get("Sid") == "AssistantModel"]
    assert actions(statement) == ["bedrock:InvokeModel"]
    assert [flatten(r) for r in resources(statement)] == [
        f"arn:aws:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/{ANALYSIS_MODEL_ID}",
        f"arn:aws:bedrock:*::foundation-model/{ANALYSIS_MODEL_ID.split('.', 1)[1]}",
    ]
    env = _function(synth, "api")["Environment"]["Variables"]
    assert (env["DAM_ASSISTANT"], env["DAM_ASSISTANT_MODEL_ID"]) == ("bedrock", ANALYSIS_MODEL_ID)
