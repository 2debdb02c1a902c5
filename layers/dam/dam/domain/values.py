"""What a client may put in free text and free-form metadata: values every store we write to (DynamoDB,
OpenSearch, JSON) accepts, and that can't disguise themselves on a screen. Pure rules, no framework."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

# Bidirectional embeddings, overrides and isolates reorder what a reader sees ("gpj.exe" shown as
# "exe.jpg"); a name never needs them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\n\r\t")

# Generation parameters: small, shallow, and portable. The byte limit keeps a record far below DynamoDB's
# 400 KB item and a gallery page far below Lambda's 6 MB response.
MAX_PARAMETERS_BYTES = 16 * 1024
MAX_PARAMETERS_DEPTH = 8
MAX_PARAMETER_KEY_LENGTH = 128
# JSON numbers every reader agrees on (JavaScript's safe integers); DynamoDB itself stops at 38 digits.
MAX_SAFE_INTEGER = 2**53 - 1
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why a piece of user text is refused, or None. Blank text, NUL and other control characters, and
    bidi overrides are refused; notes (`multiline`) may hold line breaks and tabs."""
    if not value.strip():
        return "must not be blank"
    for char in value:
        if char in _BIDI_CONTROLS:
            return "must not contain bidirectional override characters"
        if multiline and char in _LINE_BREAKS:
            continue
        if unicodedata.category(char) == "Cc":
            return "must not contain control characters"
    return None


def link_problem(ref: str) -> str | None:
    """A usage link's ref is an id or an http(s) URL: `javascript:` and other schemes are refused."""
    match = _SCHEME.match(ref)
    if match is None:
        return None
    if match.group(1).lower() not in ("http", "https"):
        return "a URL must be http or https"
    if not urlsplit(ref).netloc:
        return "a URL needs a host"
    return None


def parameters_problems(parameters: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, problem) for each thing in free-form generation parameters that a store can't hold as sent."""
    problems = list(_walk(parameters, "", 1))
    if not problems:
        size = len(json.dumps(parameters, separators=(",", ":"), ensure_ascii=False).encode())
        if size > MAX_PARAMETERS_BYTES:
            problems.append(("", f"is {size} bytes as JSON; at most {MAX_PARAMETERS_BYTES}"))
    return problems


def _walk(value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict | list) and depth > MAX_PARAMETERS_DEPTH:
        yield path, f"nests deeper than {MAX_PARAMETERS_DEPTH} levels"
        return
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if problem := _key_problem(key):
                yield where, problem
            else:
                yield from _walk(item, where, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}.{index}" if path else str(index), depth + 1)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            yield path, f"integers are at most {MAX_SAFE_INTEGER} in magnitude"
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path, "must be a finite number (no NaN or Infinity)"
    elif isinstance(value, str):
        if "\x00" in value:
            yield path, "must not contain NUL"
    else:
        yield path, "must be a JSON value"


def _key_problem(key: Any) -> str | None:
    if not isinstance(key, str) or not key.strip():
        return "keys must be non-empty text"
    if len(key) > MAX_PARAMETER_KEY_LENGTH:
        return f"keys are at most {MAX_PARAMETER_KEY_LENGTH} characters"
    if key != key.strip():
        return "keys must not start or end with spaces"
    # A dot is a path separator to OpenSearch (and to this error's own paths).
    if "." in key or any(unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS for char in key):
        return "keys must not contain dots, control or bidi characters"
    return None
