"""Two of moto's per-request costs, cut for the local stack (which runs every AWS call of every function
through one moto server on two cores). Each patch keeps moto's answers byte-for-byte the same; a unit test
compares them with moto's own.

- Routing: the server matches every request's host against the folder names of its own package, listing that
  folder and stat-ing its ~170 entries each time (~1.1 ms a request, under the dispatcher's lock, so no two
  requests route at once). The folders do not change while the server runs: they are listed once.
- DynamoDB answers: the JSON serializer walks botocore's AttributeValue shape for every attribute of every item
  (10 members, each looked up under several aliases): a GetItem of a 40-attribute item took 13.3 ms (4.0 ms
  copied), a stream's GetRecords page more. moto's items are already in the wire format, so they are copied
  instead; anything unexpected (binary values, a key the shape does not name) still goes through moto's walk.
"""

from __future__ import annotations

from typing import Any


def speed_up_moto() -> None:
    """Idempotent; call before the server answers its first request."""
    list_moto_modules_once()
    copy_attribute_values()


def list_moto_modules_once() -> None:
    from moto import backends

    if getattr(backends.list_of_moto_modules, "listed_once", False):
        return
    names = tuple(backends.list_of_moto_modules())

    def listed() -> tuple[str, ...]:
        return names

    listed.listed_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = listed


class _NotWireFormat(Exception):
    pass


_DYNAMODB = frozenset({"dynamodb", "dynamodbstreams"})
_TEXT = frozenset({"S", "N"})
_TEXT_SETS = frozenset({"SS", "NS"})
_FLAGS = frozenset({"NULL", "BOOL"})


def attribute_value(value: Any) -> dict[str, Any]:
    """A wire-format AttributeValue as moto's shape walk would serialize it; _NotWireFormat when unsure."""
    if type(value) is not dict:
        raise _NotWireFormat
    copied: dict[str, Any] = {}
    for kind, inner in value.items():
        if inner is None:
            continue
        if kind in _TEXT and type(inner) is str:
            copied[kind] = inner
        elif kind in _TEXT_SETS and type(inner) is list and all(type(item) is str for item in inner):
            copied[kind] = list(inner)
        elif kind in _FLAGS and type(inner) is bool:
            copied[kind] = inner
        elif kind == "M" and type(inner) is dict:
            copied[kind] = {name: attribute_value(item) for name, item in inner.items()}
        elif kind == "L" and type(inner) is list:
            copied[kind] = [attribute_value(item) for item in inner]
        else:  # binary (moto base64-encodes it here), or a key only moto's alias lookup understands
            raise _NotWireFormat
    return copied


def copy_attribute_values() -> None:
    from moto.core.serialize import BaseJSONSerializer

    walk = BaseJSONSerializer._serialize_type_structure
    if getattr(walk, "copies_attribute_values", False):
        return

    def serialize_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue" and self.service_model.service_name in _DYNAMODB:
            try:
                serialized[self.get_serialized_name(shape, key)] = attribute_value(value)
                return
            except _NotWireFormat:
                pass
        walk(self, serialized, value, shape, key)

    serialize_structure.copies_attribute_values = True  # type: ignore[attr-defined]
    # moto's own walk, kept for the test that compares the two
    serialize_structure.walk = walk  # type: ignore[attr-defined]
    BaseJSONSerializer._serialize_type_structure = serialize_structure  # type: ignore[method-assign]
