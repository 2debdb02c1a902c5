"""moto's server, faster at routing: it matches every request's host against the folder names of its own
package, listing that folder and stat-ing its ~170 entries each time (~1.1 ms a request, and under the
dispatcher's lock, so no two requests route at once). The folders do not change while the server runs."""

from __future__ import annotations


def list_moto_modules_once() -> None:
    """Idempotent; the server then routes by the names read at the first call."""
    from moto import backends

    if getattr(backends.list_of_moto_modules, "listed_once", False):
        return
    names = tuple(backends.list_of_moto_modules())

    def listed() -> tuple[str, ...]:
        return names

    listed.listed_once = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = listed
