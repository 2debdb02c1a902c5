"""Every pydantic model the API handler loads builds its validator on first use, not at import (cold start)."""

from __future__ import annotations

import importlib
import pkgutil

from pydantic import BaseModel

import dam
from dam.domain.modeling import LazyModel
from dam.settings import EnvironmentSettings


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_model_of_the_layer_defers_its_build() -> None:
    for module in pkgutil.walk_packages(dam.__path__, "dam."):
        importlib.import_module(module.name)
    eager = sorted(
        f"{model.__module__}.{model.__qualname__}"
        for model in _subclasses(BaseModel)
        if model.__module__.startswith("dam.")
        and not issubclass(model, LazyModel)
        # Settings are read once per cold start by design; their build is the read.
        and not issubclass(model, EnvironmentSettings)
        and "[" not in model.__qualname__  # parametrised generics are built from a lazy origin
    )
    assert eager == [], f"subclass dam.domain.modeling.LazyModel instead of BaseModel: {eager}"


def test_importing_the_api_handler_builds_no_validator() -> None:
    """Nothing at module level instantiates a model: the first instance builds its validator (~20 ms each)."""
    import subprocess
    import sys

    code = (
        "import functions.api.handler\n"
        "from tests.unit.test_lazy_models import _subclasses\n"
        "from dam.domain.modeling import LazyModel\n"
        "print(sorted(m.__qualname__ for m in _subclasses(LazyModel) if m.__pydantic_complete__))\n"
    )
    built = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert built == "[]"
