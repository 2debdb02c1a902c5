"""Powertools packages registered without running their `__init__`, which imports everything they hold.

`aws_lambda_powertools.event_handler` imports every resolver (AppSync's brings asyncio) and
`utilities.data_classes` every event class of every AWS service: ~45 ms of an API cold start for code the
HTTP API never runs. Such a package is registered as the import system would, with a module `__getattr__`
that imports a name's own submodule on first use, so `from aws_lambda_powertools.event_handler import
Response` keeps working everywhere, in our code and in Powertools' own. Which submodule exports which name is
read from the `__init__`'s source, so it follows an upgrade; an `__init__` that does anything but import names
(and list them in `__all__`) is run as usual.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

POWERTOOLS_PACKAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")


def exported_names(init_source: str, package: str) -> dict[str, str] | None:
    """Each name a package's `__init__` imports, with its module's absolute name; None if it does more."""
    names: dict[str, str] = {}
    for node in ast.parse(init_source).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level in (0, 1):
            module = node.module if node.level == 0 else f"{package}.{node.module}"
            names.update({alias.asname or alias.name: module for alias in node.names if alias.name != "*"})
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            continue
        else:
            return None
    return names


def install(package: str) -> ModuleType:
    """The package, registered lazily where its `__init__` allows; as it is once it has been imported."""
    if package in sys.modules:
        return sys.modules[package]
    spec = importlib.util.find_spec(package)  # imports the parent packages, as any import would
    if spec is None or spec.origin is None or spec.submodule_search_locations is None:
        return importlib.import_module(package)
    sources = exported_names(Path(spec.origin).read_text(encoding="utf-8"), package)
    if sources is None:
        return importlib.import_module(package)
    module = importlib.util.module_from_spec(spec)

    def __getattr__(name: str) -> object:  # noqa: N807 (PEP 562's name)
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        setattr(module, name, value)
        return value

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    module.__dict__["__all__"] = sorted(sources)
    sys.modules[package] = module
    parent, _, child = package.rpartition(".")
    setattr(sys.modules[parent], child, module)
    return module


def install_powertools() -> None:
    for package in POWERTOOLS_PACKAGES:
        install(package)
