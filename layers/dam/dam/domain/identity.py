"""Who is calling: read from the verified token's claims, never from the request body."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Who work no person started is done by (the pipeline, the workers), in the audit log's `actor`.
SYSTEM_ACTOR = "system"


class Role(StrEnum):
    EDITOR = "editor"
    SHOOT_LEAD = "shoot_lead"
    POST_LEAD = "post_lead"
    POWER_USER = "power_user"
    ADMIN = "admin"


@dataclass(frozen=True)
class Caller:
    user_id: str
    workspace_id: str
    role: Role | None = None  # None: a viewer, who may browse but change nothing shared
    client_ids: tuple[str, ...] = field(default_factory=tuple)
    external: bool = False  # marked external (the `external` group), whatever their clients claim says

    @property
    def is_external(self) -> bool:
        """External (client-side) users are marked so, or assigned to a client: either way they see less.
        An external user with no clients sees shared things only, never every client's."""
        return self.external or bool(self.client_ids)

    def sees_client(self, client_id: str | None) -> bool:
        """Shared things (no client) are for everyone; a client's things for staff and that client's users."""
        return not self.is_external or client_id is None or client_id in self.client_ids

    def changes_client(self, client_id: str | None) -> bool:
        """Staff change anything their role allows; external users only what belongs to one of their clients,
        so shared assets and studio-wide things (brands, shared folders and collections) are read-only to them."""
        return not self.is_external or (client_id is not None and client_id in self.client_ids)
