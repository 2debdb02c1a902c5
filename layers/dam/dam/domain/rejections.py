"""Why files are rejected, in a few words a metric can count by (the reason a user reads is free text)."""

from __future__ import annotations

# First match wins; each phrase comes from the checks that raise ContentRejected.
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("missing", ("could not be found in storage",)),
    ("empty", ("is empty",)),
    ("declared_size", ("but the upload declared",)),
    ("zip_bomb", ("would expand",)),
    ("too_large", ("the limit is", "are accepted", "too large", "larger than")),
    ("too_many_pixels", ("pixels",)),
    ("unsafe_svg", ("svg",)),
    ("type_mismatch", ("the file says it is",)),
    ("unsupported", ("isn't recognised", "this file is")),
    ("damaged", ("glb file", "obj file", "header says")),
)
KINDS = (*(kind for kind, _ in _KINDS), "other")


def rejection_kind(reason: str | None) -> str:
    """One of KINDS for a rejection's reason."""
    text = (reason or "").lower()
    for kind, phrases in _KINDS:
        if any(phrase in text for phrase in phrases):
            return kind
    return "other"
