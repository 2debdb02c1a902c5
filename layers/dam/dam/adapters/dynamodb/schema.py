"""Table definitions derived from the record models, in the shapes CDK and boto3 want.

This is the one place a table's keys, indexes, TTL and stream are described, so what CDK deploys,
what the local stack creates and what the tests run against cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from dam.adapters.dynamodb.models import RECORD_MODELS


@dataclass(frozen=True)
class KeySpec:
    name: str
    type: str  # "S" | "N" | "B"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: KeySpec
    sort_key: KeySpec | None


@dataclass(frozen=True)
class TableSpec:
    logical_name: str
    partition_key: KeySpec
    sort_key: KeySpec | None
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None
    stream_view_type: str | None

    def create_table_kwargs(self, table_name: str) -> dict[str, Any]:
        """Arguments for boto3's `create_table` (the local stack and tests use this)."""
        keys = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        for index in self.indexes:
            keys += [index.partition_key, *([index.sort_key] if index.sort_key else [])]
        definitions = {key.name: key.type for key in keys}
        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in definitions.items()],
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition_key, index.sort_key),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in self.indexes
            ]
        if self.stream_view_type:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream_view_type}
        return kwargs


def _key_schema(partition: KeySpec, sort: KeySpec | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _keys(key_schema: Any, types: dict[str, str]) -> tuple[KeySpec, KeySpec | None]:
    by_role = {k["KeyType"]: KeySpec(k["AttributeName"], types[k["AttributeName"]]) for k in key_schema}
    return by_role["HASH"], by_role.get("RANGE")


def table_spec(model: type[Model]) -> TableSpec:
    schema = model._get_schema()
    types = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
    partition, sort = _keys(schema["key_schema"], types)
    indexes = []
    for index in schema["global_secondary_indexes"]:
        index_types = {d["AttributeName"]: d["AttributeType"] for d in index["attribute_definitions"]}
        ip, isort = _keys(index["key_schema"], index_types)
        indexes.append(IndexSpec(index["index_name"], ip, isort))
    ttl = next(
        (name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)),
        None,
    )
    return TableSpec(
        logical_name=model.logical_name,  # type: ignore[attr-defined]
        partition_key=partition,
        sort_key=sort,
        indexes=tuple(sorted(indexes, key=lambda i: i.name)),
        ttl_attribute=ttl,
        stream_view_type=getattr(model.Meta, "stream_view_type", None),
    )


def table_specs() -> tuple[TableSpec, ...]:
    return tuple(table_spec(model) for model in RECORD_MODELS)
