"""The quality gate on generation inputs, and lineage: what an asset was made from, and what from it.

Seed 004: only approved image frames may feed video generation, so no credits are spent on videos from
frames someone would reject. Every input is checked version-exact and recorded as resolved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dam.domain.assets import GenerationInput
from dam.domain.errors import InvalidInput
from dam.domain.formats import MediaType
from dam.domain.versions import ReviewAction, ReviewStatus, Version, pointers


@dataclass(frozen=True)
class InputCheck:
    """One input as the gate saw it: the version it resolved to, and why it is refused (None: accepted)."""

    asset_id: str
    requested_version: int | None
    version: int | None
    problem: str | None

    @property
    def accepted(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class Use:
    """One version of one asset (the output) made from one version of another (the input)."""

    asset_id: str
    version: int
    input_asset_id: str
    input_version: int


class InputsRefused(InvalidInput):
    """Some generation inputs may not be used; `problems` names each (path, why)."""

    code = "inputs_refused"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(problems)} generation input(s) refused: " + "; ".join(m for _, m in problems))
        self.problems = problems


def gated(output: MediaType) -> bool:
    """Whose inputs must be approved images: video outputs."""
    return output is MediaType.VIDEO


def check_input(
    requested: GenerationInput, versions: Sequence[Version] | None, active: int, output: MediaType
) -> InputCheck:
    """`versions` is None when the asset does not exist or is not the caller's to see (the same answer)."""

    def refused(problem: str, number: int | None = None) -> InputCheck:
        return InputCheck(requested.asset_id, requested.version, number, problem)

    name = f"asset {requested.asset_id}"
    if versions is None:
        return refused(f"{name} is not visible to you (or does not exist)")
    marks = pointers(versions, active)
    number = requested.version or (marks.approved if gated(output) else marks.approved or marks.active)
    if number is None:
        return refused(f"{name} has no approved version")
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        return refused(f"{name} has no version {number}", number)
    if gated(output):
        if version.media_type is not MediaType.IMAGE:
            return refused(f"{name} version {number} is not an image (it is {version.media_type.value})", number)
        if version.review_status is not ReviewStatus.APPROVED:
            revoked = bool(version.reviews) and version.reviews[-1].action is ReviewAction.REVOKE
            why = "its approval was revoked" if revoked else "it is a draft"
            return refused(f"{name} version {number} is not approved ({why})", number)
    return InputCheck(requested.asset_id, requested.version, number, None)


def resolved_inputs(checks: Sequence[InputCheck], path: str) -> list[GenerationInput]:
    """The inputs as recorded (each with its version), or InputsRefused naming every failing one."""
    problems = [(f"{path}.{i}", c.problem) for i, c in enumerate(checks) if c.problem is not None]
    if problems:
        raise InputsRefused(problems)
    return [GenerationInput(asset_id=c.asset_id, version=c.version) for c in checks]
