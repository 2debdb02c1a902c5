"""Who may do what: the one policy table every API route declares its action against.

Seed 002's role badges decide where they speak; the rest follows a studio's habits: anyone signed in
may look, download and keep personal favorites; the five roles do the day-to-day work (upload, notes,
names, folders, archive, collections, usage links); what reshapes the shared taxonomy or spends
analysis (tags, type, brands, folders, re-analysis) is for Power Users and Admins.
"""

from __future__ import annotations

from enum import StrEnum

from dam.domain.errors import Forbidden, InvalidInput
from dam.domain.identity import Caller, Role


class Action(StrEnum):
    BROWSE = "browse"  # list, get, search, similar, chips, usages, folders, collections, brands
    DOWNLOAD = "download"
    FAVORITE = "favorite"  # personal: nobody else's view changes
    UPLOAD = "upload"
    EDIT_NOTES = "edit_notes"
    RENAME = "rename"
    MOVE_TO_FOLDER = "move_to_folder"
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    EDIT_TAGS = "edit_tags"
    CHANGE_TYPE = "change_type"
    RETRY_ANALYSIS = "retry_analysis"
    REANALYZE_WITH_HINT = "reanalyze_with_hint"
    REPROCESS = "reprocess"
    DELETE_ASSET = "delete_asset"  # to the trash, or permanently
    RESTORE_ASSET = "restore_asset"  # out of the trash
    VIEW_TRASH = "view_trash"
    MANAGE_FOLDERS = "manage_folders"
    MANAGE_COLLECTIONS = "manage_collections"
    MANAGE_BRANDS = "manage_brands"
    TAG_BRAND = "tag_brand"
    MANAGE_USAGES = "manage_usages"
    PROMOTE_VERSION = "promote_version"  # choose which version the asset shows
    REVIEW_VERSION = "review_version"  # approve or revoke a version
    DELETE_VERSION = "delete_version"
    USE_ASSISTANT = "use_assistant"  # drafts of briefs, scenes and shots (staff only: external users never)
    MANAGE_PROJECTS = "manage_projects"  # create, rename, describe, delete a project
    CHANGE_STAGE = "change_stage"  # a project's production stage (complete makes it read-only)
    EDIT_HIERARCHY = "edit_hierarchy"  # stories, scenes, shots, and which assets a shot holds
    SUBMIT_SHOT = "submit_shot"  # wip → review
    REVIEW_SHOT = "review_shot"  # approve (review → ready) or send back (review → wip)
    REOPEN_SHOT = "reopen_shot"  # ready → wip: unlocks the shot's assets
    EDIT_CONCEPTS = "edit_concepts"  # save, edit and delete a project's briefs, scripts and notes
    MANAGE_REVIEWS = "manage_reviews"  # review sessions and their share links (the owner's own)
    DECIDE_REVIEW = "decide_review"  # a named reviewer's approved / changes requested in a session
    VIEW_AUDIT = "view_audit"  # read and export the audit log (who changed what, when)
    COMMENT = "comment"  # write, edit and delete one's own comments on asset versions (admins: delete any)


VIEWER: None = None  # a signed-in user without a role
EVERYONE: frozenset[Role | None] = frozenset({*Role, VIEWER})
ALL_ROLES: frozenset[Role | None] = frozenset(Role)
CURATORS: frozenset[Role | None] = frozenset({Role.POWER_USER, Role.ADMIN})
# Seed 004: review is for the project owner or team lead; here the two leads and admins.
REVIEWERS: frozenset[Role | None] = frozenset({Role.SHOOT_LEAD, Role.POST_LEAD, Role.ADMIN})

ALLOWED: dict[Action, frozenset[Role | None]] = {
    Action.BROWSE: EVERYONE,
    Action.DOWNLOAD: EVERYONE,
    Action.FAVORITE: EVERYONE,
    # Seed 002, badge for badge.
    Action.UPLOAD: ALL_ROLES,
    Action.EDIT_NOTES: ALL_ROLES,
    Action.MOVE_TO_FOLDER: ALL_ROLES,
    Action.ARCHIVE: ALL_ROLES,
    Action.EDIT_TAGS: CURATORS,
    Action.RETRY_ANALYSIS: CURATORS,
    Action.REANALYZE_WITH_HINT: CURATORS,
    Action.DELETE_ASSET: frozenset({Role.POWER_USER, Role.ADMIN, Role.EDITOR}),
    # The trash (issue 18): whoever may delete may see what was deleted and undo it.
    Action.RESTORE_ASSET: frozenset({Role.POWER_USER, Role.ADMIN, Role.EDITOR}),
    Action.VIEW_TRASH: frozenset({Role.POWER_USER, Role.ADMIN, Role.EDITOR}),
    Action.MANAGE_FOLDERS: CURATORS,
    # Where the seed is silent.
    Action.RENAME: ALL_ROLES,  # the human label, set at upload, like notes
    Action.UNARCHIVE: ALL_ROLES,  # undoes archive, so whoever may archive may bring it back
    Action.CHANGE_TYPE: CURATORS,  # the seed's "edit tags" covers prop_type, our asset type
    Action.REPROCESS: CURATORS,  # a superset of retry analysis
    Action.MANAGE_BRANDS: CURATORS,  # shared taxonomy, like folders
    Action.TAG_BRAND: CURATORS,  # brands are one of the seed's tag arrays
    Action.MANAGE_COLLECTIONS: ALL_ROLES,  # selects and boards are everyday work
    Action.MANAGE_USAGES: ALL_ROLES,  # recording where an asset is used is everyday work
    # Versions (seed 004): uploading a take is everyday work (UPLOAD); choosing what everyone sees is for
    # reviewers and curators; approving is for reviewers; deleting a take, for whoever may delete assets.
    Action.PROMOTE_VERSION: REVIEWERS | CURATORS,
    Action.REVIEW_VERSION: REVIEWERS,
    Action.DELETE_VERSION: frozenset({Role.POWER_USER, Role.ADMIN, Role.EDITOR}),
    # Writing help is development work, like uploading: every role; the service refuses external users.
    Action.USE_ASSISTANT: ALL_ROLES,
    # Projects (seed 004): a production is set up and staged by its leads (and curators, who run the
    # library); planning stories, scenes and shots and submitting work is everyday work; review and
    # reopening a locked shot are for "the project owner or team lead": the reviewers.
    Action.MANAGE_PROJECTS: REVIEWERS | CURATORS,
    Action.CHANGE_STAGE: REVIEWERS | CURATORS,
    Action.EDIT_HIERARCHY: ALL_ROLES,
    Action.SUBMIT_SHOT: ALL_ROLES,
    Action.REVIEW_SHOT: REVIEWERS,
    Action.REOPEN_SHOT: REVIEWERS,
    # Concepts (seed 004's concept workspace): writing briefs, scripts and notes is development work, like
    # planning the hierarchy and using the assistant: every role (external users: in their clients' projects).
    Action.EDIT_CONCEPTS: ALL_ROLES,
    # Review sessions: gathering work for review and sharing it is everyday work; a decision is a named
    # reviewer's (the service checks the name), whatever their role. Which decisions approve a version is the
    # workspace's rule (dam.domain.reviews), not a role here.
    Action.MANAGE_REVIEWS: ALL_ROLES,
    Action.DECIDE_REVIEW: ALL_ROLES,
    # The audit log names every person's every change: admins only.
    Action.VIEW_AUDIT: frozenset({Role.ADMIN}),
    # Comments are review feedback everyone else reads, so shared like notes: every role (external users: on
    # their clients' assets). Only the author edits a comment; the author or an admin deletes it.
    Action.COMMENT: ALL_ROLES,
}


def can(caller: Caller, action: Action) -> bool:
    return caller.role in ALLOWED[action]


def require(caller: Caller, *actions: Action) -> None:
    """Raise Forbidden for the first action the caller's role does not allow."""
    for action in actions:
        if not can(caller, action):
            role = caller.role.value.replace("_", " ") if caller.role else "viewer (no role)"
            raise Forbidden(f"your role, {role}, does not allow {action.value.replace('_', ' ')}")


def require_own(caller: Caller, client_id: str | None, what: str) -> None:
    """Raise Forbidden when an external user would change something that is not one of their clients'."""
    if not caller.changes_client(client_id):
        raise Forbidden(f"{what} is shared with the whole studio; external users change only their clients' things")


def own_client(caller: Caller, requested: str | None) -> str | None:
    """The client a new thing belongs to: staff choose (or share); external users make things for one of
    their own clients (their first by default), and one with no clients can make nothing."""
    if not caller.is_external:
        return requested
    if not caller.client_ids:
        raise Forbidden("you are an external user of no client yet, so there is nothing you may add")
    if requested is None:
        return caller.client_ids[0]
    if requested not in caller.client_ids:
        raise InvalidInput("client_id is not one of your clients", field="client_id")
    return requested
