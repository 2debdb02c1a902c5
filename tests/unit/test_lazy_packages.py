"""The API loads Powertools' HTTP resolver and event class without the package `__init__`s that import every
other resolver and every other AWS service's event classes (dam.lazy_packages)."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dam.lazy_packages import POWERTOOLS_PACKAGES, exported_names

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str) -> object:
    script = f"import json, sys\n{code}"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout)


def _real_init(package: str) -> str:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).read_text(encoding="utf-8")


def test_the_api_handler_loads_no_other_resolver_nor_event_class_nor_asyncio() -> None:
    loaded = _run(
        "import functions.api.handler\n"
        "print(json.dumps([m for m in ('asyncio', 'aws_lambda_powertools.event_handler.appsync',"
        " 'aws_lambda_powertools.utilities.data_classes.kafka_event',"
        " 'aws_lambda_powertools.utilities.data_classes.s3_event') if m in sys.modules]))"
    )
    assert loaded == []


@pytest.mark.parametrize("package", POWERTOOLS_PACKAGES)
def test_every_name_of_the_package_resolves_to_its_own_submodule_s_object(package: str) -> None:
    declared = next(
        ast.literal_eval(node.value)
        for node in ast.parse(_real_init(package)).body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets)
    )
    exported = exported_names(_real_init(package), package)
    assert exported is not None, f"{package}'s __init__ does more than import names: it would run as usual"
    assert set(declared) <= set(exported)  # nothing it exports that the reading missed
    same = _run(
        "import importlib\n"
        "import dam.api\n"
        "from dam.lazy_packages import exported_names\n"
        f"package = sys.modules[{package!r}]\n"
        "assert not hasattr(package, '__builtins__'), 'the real __init__ ran'\n"
        "source = open(package.__spec__.origin).read()\n"
        "print(json.dumps({name: getattr(package, name) is getattr(importlib.import_module(module), name)"
        f" for name, module in exported_names(source, {package!r}).items()}}))"
    )
    assert isinstance(same, dict) and same and all(same.values()), same


def test_an_unknown_name_is_an_import_error_and_submodules_still_import() -> None:
    answer = _run(
        "import dam.api\n"
        "try:\n"
        "    from aws_lambda_powertools.event_handler import NoSuchResolver\n"
        "    refused = False\n"
        "except ImportError:\n"
        "    refused = True\n"
        "from aws_lambda_powertools.event_handler import content_types\n"
        "print(json.dumps([refused, content_types.APPLICATION_JSON]))"
    )
    assert answer == [True, "application/json"]


def test_an_init_that_does_more_than_import_names_is_run_as_usual() -> None:
    assert exported_names('"""Doc."""\nfrom .a import A\n__all__ = ["A"]\n', "p") == {"A": "p.a"}
    assert exported_names("from .a import A\nA.configure()\n", "p") is None
    assert exported_names("import os\n", "p") is None
