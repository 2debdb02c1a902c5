"""The API imports a route module when a request first needs it (cold start): the table that says which
module serves which paths stays true, and no inclusion order can change which route answers."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import dam.api.routes
from dam.api.app import ROUTE_MODULES, route_pattern

ROOT = Path(__file__).resolve().parents[2]


def _routes(module: str) -> list[tuple[str, str]]:
    router = importlib.import_module(f"dam.api.routes.{module}").router
    return [(method, path) for (path, methods, *_), _func in router._routes.items() for method in methods]


def _sample(path: str) -> str:
    return re.sub(r"<\w+>", "x1", path)


def test_every_route_module_is_in_the_table_with_the_paths_it_serves() -> None:
    modules = {info.name for info in pkgutil.iter_modules(dam.api.routes.__path__)}
    assert {module for module, _ in ROUTE_MODULES} == modules
    for module, paths in ROUTE_MODULES:
        routes = [path for _, path in _routes(module)]
        served = route_pattern(paths)
        unserved = [path for path in routes if not served.match(_sample(path))]
        assert unserved == [], f"{module} serves {unserved}, which its entry in ROUTE_MODULES misses"
        for declared in paths:  # and no entry names a path the module has stopped serving
            own = route_pattern((declared,))
            assert any(own.match(_sample(path)) for path in routes), f"{module}: nothing under {declared}"


def test_the_path_patterns_match_whole_segments() -> None:
    pattern = route_pattern(("/assets", "/assets/*/versions/**"))
    for path in ("/assets", "/assets/", "/assets/a1/versions", "/assets/a1/versions/2/comments/c1"):
        assert pattern.match(path), path
    for path in ("/assetsx", "/assets/a1", "/assets/a1/versionsx", "/assets//versions", "/x/assets"):
        assert not pattern.match(path), path


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"<\w+>", r"[^/]+", path) + "$")


def test_no_request_can_match_routes_of_two_modules() -> None:
    """So the order modules are included in (the order of first requests) never decides the answer."""
    routes = [(module, method, path) for module, _ in ROUTE_MODULES for method, path in _routes(module)]
    for module, method, path in routes:
        sample = _sample(path)
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
    assert gallery == {"dam.api.routes.assets"}  # not the five other modules with routes under /assets
    versions = _imported_after("from dam.api.app import app\napp.include_routes_for('/assets/a1/versions/2')")
    assert versions == {"dam.api.routes.versions", "dam.api.routes.assets"}
    assert _imported_after("from dam.api.app import app\napp.include_routes_for('/nowhere')") == set()


def test_services_are_built_when_a_request_first_asks_for_them() -> None:
    settings = "ApiSettings(assets_table='t-assets', library_table='t-library', media_bucket='t-media')"
    imports = "from dam.api.context import ApiServices\nfrom dam.settings import ApiSettings\n"
    code = f"{imports}ApiServices({settings}).assets"
    script = code + "\nimport sys\nprint(' '.join(m for m in sys.modules if m.startswith('dam.')))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PATH": "", "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": ":".join(sys.path)},
    )
    imported = set(result.stdout.split())
    assert {"dam.services.assets", "dam.adapters.dynamodb.assets"} <= imported
    # A gallery page never asks for reviews, projects, comments or imports: their modules stay unread.
    untouched = {"dam.services.reviews", "dam.services.projects", "dam.services.comments", "dam.services.imports"}
    assert imported & untouched == set()


def test_every_service_builds(api: object) -> None:
    from dam.api.context import SERVICES, services

    built = services()
    built.build_all()
    assert all(name in vars(built) for name in SERVICES)  # each one cached after its first build
