"""The API imports a route module when a request first needs it (cold start): the table that says which
module serves which path segment stays true, and no inclusion order can change which route answers."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import dam.api.routes
from dam.api.app import ROUTE_MODULES

ROOT = Path(__file__).resolve().parents[2]


def _routes(module: str) -> list[tuple[str, str]]:
    router = importlib.import_module(f"dam.api.routes.{module}").router
    return [(method, path) for (path, methods, *_), _func in router._routes.items() for method in methods]


def test_every_route_module_is_in_the_table_with_the_segments_it_serves() -> None:
    modules = {info.name for info in pkgutil.iter_modules(dam.api.routes.__path__)}
    assert {module for module, _ in ROUTE_MODULES} == modules
    for module, segments in ROUTE_MODULES:
        assert {path.split("/")[1] for _, path in _routes(module)} == segments, module


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"<\w+>", r"[^/]+", path) + "$")


def test_no_request_can_match_routes_of_two_modules() -> None:
    """So the order modules are included in (the order of first requests) never decides the answer."""
    routes = [(module, method, path) for module, _ in ROUTE_MODULES for method, path in _routes(module)]
    for module, method, path in routes:
        sample = re.sub(r"<\w+>", "x1", path)
        rivals = [
            (other, other_path)
            for other, other_method, other_path in routes
            if other != module
            and other_method == method
            and _pattern(other_path).match(sample)
            # Powertools tries every static route before any dynamic one, whatever the order they came in.
            and not ("<" in other_path and "<" not in path)
        ]
        assert rivals == [], f"{method} {path} ({module}) is also matched by {rivals}"


def _imported_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(m for m in sys.modules if m.startswith('dam.api.routes.')))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(result.stdout.split())


def test_the_handler_imports_no_route_module_and_a_request_only_those_it_needs() -> None:
    assert _imported_after("import functions.api.handler") == set()
    needed = _imported_after("from dam.api.app import app\napp.include_routes_for('/folders/f-1')")
    assert needed == {"dam.api.routes.folders", "dam.api.routes.assets"}  # the latter for its shared parameters
    gallery = _imported_after("from dam.api.app import app\napp.include_routes_for('/assets')")
    served = ("assets", "search", "library", "versions", "comments", "lineage")
    assert gallery == {f"dam.api.routes.{m}" for m in (*served, "brands")}  # brands: library's BrandId
