"""Print the API's OpenAPI document: `python -m dam.api.openapi > openapi.json`."""

from __future__ import annotations

import json


def render() -> str:
    from dam.api.app import openapi_document

    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
