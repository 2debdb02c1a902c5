"""Every route × every role × whose thing it is, generated from the resolver's own route table.

Given a workspace with a staff member, an external user of client A, shared things, another client's things
and another workspace's things, when each role calls each route on each of them, then the answer is what the
policy table says: 404 for what the caller cannot see (whatever their role, DELETE too), 403 for what they
can see but may not change (their role forbids it, or they are external and it is not their client's), the
route's success otherwise. A route added without a policy (here or in the resolver) fails.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest

from dam.domain.identity import Role
from dam.domain.permissions import ALLOWED, Action
from tests.conftest import ASSETS_TABLE, MEDIA_BUCKET, REGION, TABLES, Api, fake_credentials, mocked_aws
from tests.integration.library_support import seed
from tests.support import api_claims

WORKSPACE, RIVAL = "ws-studio", "ws-rival"
ROLES: list[Role | None] = [*Role, None]

# What each route needs, written out here rather than read back from the routes, so a route that
# declares the wrong action fails too. Keys are Powertools' (method, path) as the resolver holds them.
EXPECTED: dict[tuple[str, str], tuple[Action, ...] | None] = {
    ("GET", "/health"): None,
    ("GET", "/openapi.json"): None,
    ("POST", "/uploads"): (Action.UPLOAD,),
    ("POST", "/uploads/<asset_id>/parts"): (Action.UPLOAD,),
    ("GET", "/uploads/<asset_id>/parts"): (Action.UPLOAD,),
    ("POST", "/uploads/<asset_id>/complete"): (Action.UPLOAD,),
    ("DELETE", "/uploads/<asset_id>"): (Action.UPLOAD,),
    ("GET", "/assets"): (Action.BROWSE,),
    ("GET", "/assets/chips"): (Action.BROWSE,),
    ("GET", "/assets/<asset_id>"): (Action.BROWSE,),
    ("PATCH", "/assets/<asset_id>"): (),  # by field, see PATCH_FIELDS
    ("DELETE", "/assets/<asset_id>"): (Action.DELETE_ASSET,),  # to the trash; ?permanent=true the same roles
    ("POST", "/assets/<asset_id>/restore"): (Action.RESTORE_ASSET,),
    ("GET", "/trash"): (Action.VIEW_TRASH,),
    ("GET", "/assets/<asset_id>/download"): (Action.DOWNLOAD,),
    ("POST", "/assets/<asset_id>/reanalyze"): (Action.RETRY_ANALYSIS,),  # + hint, see RERUN_FIELDS
    ("POST", "/assets/<asset_id>/reprocess"): (Action.REPROCESS,),
    ("PUT", "/assets/<asset_id>/favorite"): (Action.FAVORITE,),
    ("DELETE", "/assets/<asset_id>/favorite"): (Action.FAVORITE,),
    ("POST", "/assets/<asset_id>/archive"): (Action.ARCHIVE,),
    ("POST", "/assets/<asset_id>/unarchive"): (Action.UNARCHIVE,),
    ("PUT", "/assets/<asset_id>/brands/<brand_id>"): (Action.TAG_BRAND,),
    ("DELETE", "/assets/<asset_id>/brands/<brand_id>"): (Action.TAG_BRAND,),
    ("POST", "/assets/<asset_id>/usages"): (Action.MANAGE_USAGES,),
    ("GET", "/assets/<asset_id>/usages"): (Action.BROWSE,),
    ("DELETE", "/assets/<asset_id>/usages/<usage_id>"): (Action.MANAGE_USAGES,),
    ("GET", "/search"): (Action.BROWSE,),
    ("GET", "/assets/<asset_id>/similar"): (Action.BROWSE,),
    ("GET", "/clients"): (Action.BROWSE,),
    ("POST", "/folders"): (Action.MANAGE_FOLDERS,),
    ("GET", "/folders"): (Action.BROWSE,),
    ("GET", "/folders/<folder_id>"): (Action.BROWSE,),
    ("PATCH", "/folders/<folder_id>"): (Action.MANAGE_FOLDERS,),
    ("DELETE", "/folders/<folder_id>"): (Action.MANAGE_FOLDERS,),
    ("POST", "/collections"): (Action.MANAGE_COLLECTIONS,),
    ("GET", "/collections"): (Action.BROWSE,),
    ("GET", "/collections/<collection_id>"): (Action.BROWSE,),
    ("PATCH", "/collections/<collection_id>"): (Action.MANAGE_COLLECTIONS,),
    ("DELETE", "/collections/<collection_id>"): (Action.MANAGE_COLLECTIONS,),
    ("GET", "/collections/<collection_id>/assets"): (Action.BROWSE,),
    ("PUT", "/collections/<collection_id>/assets/<asset_id>"): (Action.MANAGE_COLLECTIONS,),
    ("DELETE", "/collections/<collection_id>/assets/<asset_id>"): (Action.MANAGE_COLLECTIONS,),
    ("POST", "/brands"): (Action.MANAGE_BRANDS,),
    ("GET", "/brands"): (Action.BROWSE,),
    ("GET", "/brands/<brand_id>"): (Action.BROWSE,),
    ("PATCH", "/brands/<brand_id>"): (Action.MANAGE_BRANDS,),
    ("DELETE", "/brands/<brand_id>"): (Action.MANAGE_BRANDS,),
    ("POST", "/assets/<asset_id>/versions"): (Action.UPLOAD,),  # + promote, see VERSION_FIELDS
    ("GET", "/assets/<asset_id>/versions"): (Action.BROWSE,),
    ("GET", "/assets/<asset_id>/versions/<number>"): (Action.BROWSE,),
    ("DELETE", "/assets/<asset_id>/versions/<number>"): (Action.DELETE_VERSION,),
    ("GET", "/assets/<asset_id>/versions/<number>/download"): (Action.DOWNLOAD,),
    ("POST", "/assets/<asset_id>/versions/<number>/promote"): (Action.PROMOTE_VERSION,),
    ("POST", "/assets/<asset_id>/versions/<number>/approve"): (Action.REVIEW_VERSION,),
    ("POST", "/assets/<asset_id>/versions/<number>/revoke"): (Action.REVIEW_VERSION,),
    ("GET", "/assets/<asset_id>/versions/<number>/reviews"): (Action.BROWSE,),
    ("GET", "/assets/<asset_id>/compare"): (Action.BROWSE,),
    ("GET", "/assets/<asset_id>/lineage"): (Action.BROWSE,),
    ("POST", "/generation-inputs/check"): (Action.BROWSE,),
    ("POST", "/imports"): (Action.UPLOAD,),  # seed 002 lists the bulk ZIP under Upload
    ("GET", "/imports"): (Action.BROWSE,),
    ("GET", "/imports/<import_id>"): (Action.BROWSE,),
    # Retrying one's own import needs UPLOAD only; the world's imports are their admin's (see NOT_THEIRS).
    ("POST", "/imports/<import_id>/retry"): (Action.UPLOAD,),
    ("POST", "/assistant/brief"): (Action.USE_ASSISTANT,),
    ("POST", "/assistant/scenes"): (Action.USE_ASSISTANT,),
    ("POST", "/assistant/shots"): (Action.USE_ASSISTANT,),
    ("POST", "/projects"): (Action.MANAGE_PROJECTS,),
    ("GET", "/projects"): (Action.BROWSE,),
    ("GET", "/projects/<project_id>"): (Action.BROWSE,),
    ("PATCH", "/projects/<project_id>"): (),  # by field, see PROJECT_FIELDS
    ("DELETE", "/projects/<project_id>"): (Action.MANAGE_PROJECTS,),
    ("GET", "/projects/<project_id>/tree"): (Action.BROWSE,),
    ("POST", "/projects/<project_id>/stories"): (Action.EDIT_HIERARCHY,),
    ("GET", "/projects/<project_id>/stories"): (Action.BROWSE,),
    ("GET", "/stories/<story_id>"): (Action.BROWSE,),
    ("PATCH", "/stories/<story_id>"): (Action.EDIT_HIERARCHY,),
    ("DELETE", "/stories/<story_id>"): (Action.EDIT_HIERARCHY,),
    ("POST", "/stories/<story_id>/scenes"): (Action.EDIT_HIERARCHY,),
    ("GET", "/stories/<story_id>/scenes"): (Action.BROWSE,),
    ("GET", "/scenes/<scene_id>"): (Action.BROWSE,),
    ("PATCH", "/scenes/<scene_id>"): (Action.EDIT_HIERARCHY,),
    ("DELETE", "/scenes/<scene_id>"): (Action.EDIT_HIERARCHY,),
    ("POST", "/scenes/<scene_id>/shots"): (Action.EDIT_HIERARCHY,),
    ("GET", "/scenes/<scene_id>/shots"): (Action.BROWSE,),
    ("GET", "/shots/<shot_id>"): (Action.BROWSE,),
    ("PATCH", "/shots/<shot_id>"): (Action.EDIT_HIERARCHY,),
    ("DELETE", "/shots/<shot_id>"): (Action.EDIT_HIERARCHY,),
    ("GET", "/shots/<shot_id>/assets"): (Action.BROWSE,),
    ("PUT", "/shots/<shot_id>/assets/<asset_id>"): (Action.EDIT_HIERARCHY,),
    ("DELETE", "/shots/<shot_id>/assets/<asset_id>"): (Action.EDIT_HIERARCHY,),
    ("POST", "/shots/<shot_id>/submit"): (Action.SUBMIT_SHOT,),
    ("POST", "/shots/<shot_id>/approve"): (Action.REVIEW_SHOT,),
    ("POST", "/shots/<shot_id>/send-back"): (Action.REVIEW_SHOT,),
    ("POST", "/shots/<shot_id>/reopen"): (Action.REOPEN_SHOT,),
    ("POST", "/projects/<project_id>/concepts"): (Action.EDIT_CONCEPTS,),
    ("GET", "/projects/<project_id>/concepts"): (Action.BROWSE,),
    ("GET", "/concepts/<concept_id>"): (Action.BROWSE,),
    ("PATCH", "/concepts/<concept_id>"): (Action.EDIT_CONCEPTS,),
    ("DELETE", "/concepts/<concept_id>"): (Action.EDIT_CONCEPTS,),
    ("GET", "/concepts/<concept_id>/versions"): (Action.BROWSE,),
    ("GET", "/concepts/<concept_id>/versions/<number>"): (Action.BROWSE,),
    ("POST", "/reviews"): (Action.MANAGE_REVIEWS,),
    ("GET", "/reviews"): (Action.BROWSE,),
    ("GET", "/reviews/<review_id>"): (Action.BROWSE,),
    ("PATCH", "/reviews/<review_id>"): (Action.MANAGE_REVIEWS,),
    ("DELETE", "/reviews/<review_id>"): (Action.MANAGE_REVIEWS,),
    ("POST", "/reviews/<review_id>/items"): (Action.MANAGE_REVIEWS,),
    ("DELETE", "/reviews/<review_id>/items/<position>"): (Action.MANAGE_REVIEWS,),
    ("POST", "/reviews/<review_id>/items/<position>/decision"): (Action.DECIDE_REVIEW,),
    ("POST", "/reviews/<review_id>/links"): (Action.MANAGE_REVIEWS,),
    ("GET", "/reviews/<review_id>/links"): (Action.MANAGE_REVIEWS,),
    ("DELETE", "/reviews/<review_id>/links/<link_id>"): (Action.MANAGE_REVIEWS,),
    ("GET", "/reviews/<review_id>/access"): (Action.MANAGE_REVIEWS,),
    # The outside reviewer's routes: no JWT, the link's token is the credential (see tests/integration/test_reviews.py).
    ("GET", "/share/<token>"): None,
    ("GET", "/share/<token>/items/<position>/rendition"): None,
    ("POST", "/share/<token>/items/<position>/decision"): None,
    ("POST", "/share/<token>/items/<position>/comments"): None,
    ("GET", "/share/<token>/items/<position>/comments"): None,
    ("GET", "/audit"): (Action.VIEW_AUDIT,),
    ("GET", "/audit/export"): (Action.VIEW_AUDIT,),
    ("POST", "/assets/<asset_id>/versions/<number>/comments"): (Action.COMMENT,),
    ("GET", "/assets/<asset_id>/versions/<number>/comments"): (Action.BROWSE,),
    ("GET", "/assets/<asset_id>/comments"): (Action.BROWSE,),
    ("GET", "/assets/<asset_id>/versions/<number>/comments/<comment_id>"): (Action.BROWSE,),
    ("PATCH", "/assets/<asset_id>/versions/<number>/comments/<comment_id>"): (Action.COMMENT,),
    ("DELETE", "/assets/<asset_id>/versions/<number>/comments/<comment_id>"): (Action.COMMENT,),
    ("GET", "/assets/<asset_id>/versions/<number>/comments/<comment_id>/history"): (Action.BROWSE,),
    ("GET", "/comments/mentions"): (Action.BROWSE,),
}
# What a public route answers when it works (the share routes' token is valid in every scenario).
PUBLIC_ANSWERS = {
    ("GET", "/share/<token>/items/<position>/rendition"): 302,
    ("POST", "/share/<token>/items/<position>/comments"): 201,
}
GUEST = "guest@client.example"
PATCH_FIELDS = {
    "notes": Action.EDIT_NOTES,
    "name": Action.RENAME,
    "folder_id": Action.MOVE_TO_FOLDER,
    "tags": Action.EDIT_TAGS,
    "asset_type": Action.CHANGE_TYPE,
}
RERUN_FIELDS = {"hint": Action.REANALYZE_WITH_HINT}
VERSION_FIELDS = {"promote": Action.PROMOTE_VERSION}
PROJECT_FIELDS = {
    "name": Action.MANAGE_PROJECTS,
    "description": Action.MANAGE_PROJECTS,
    "stage": Action.CHANGE_STAGE,
}
FIELDS_OF = {
    ("PATCH", "/projects/<project_id>"): PROJECT_FIELDS,
    ("PATCH", "/assets/<asset_id>"): PATCH_FIELDS,
    ("POST", "/assets/<asset_id>/reanalyze"): RERUN_FIELDS,
    ("POST", "/assets/<asset_id>/versions"): VERSION_FIELDS,
}


def _routes() -> list[Any]:
    from dam.api.app import app

    app.include_all_routes()

    return sorted(app._static_routes + app._dynamic_routes, key=lambda r: (r.path, r.method))


ROUTES = _routes()


def _key(route: Any) -> tuple[str, str]:
    return (route.method, route.path)


# --- the table itself ------------------------------------------------------------------------------


def test_every_route_declares_a_policy_and_this_test_knows_every_route() -> None:
    from dam.api.app import app

    app.include_all_routes()
    from dam.api.permissions import undeclared

    assert undeclared(app) == []
    assert sorted(map(_key, ROUTES)) == sorted(EXPECTED), "add the new route to EXPECTED (and declare @permits)"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_a_route_declares_the_action_expected_of_it_and_documents_403(route: Any) -> None:
    from dam.api.permissions import policy_of

    policy = policy_of(route)
    assert policy is not None
    expected = EXPECTED[_key(route)]
    if expected is None:
        assert policy.public
        return
    assert (policy.actions, dict(policy.by_field)) == (expected, FIELDS_OF.get(_key(route), {}))
    refusable = any(None not in ALLOWED[a] for a in (*policy.actions, *policy.by_field.values()))
    assert (403 in route.responses) == refusable, "a route a role can be refused documents 403, and only then"


def test_the_table_speaks_for_every_action_and_follows_seed_002() -> None:
    curators = {Role.POWER_USER, Role.ADMIN}
    assert set(ALLOWED) == set(Action)
    for action in (Action.UPLOAD, Action.EDIT_NOTES, Action.MOVE_TO_FOLDER, Action.ARCHIVE):
        assert ALLOWED[action] == set(Role)
    for action in (Action.EDIT_TAGS, Action.RETRY_ANALYSIS, Action.REANALYZE_WITH_HINT, Action.MANAGE_FOLDERS):
        assert ALLOWED[action] == curators
    assert ALLOWED[Action.DELETE_ASSET] == curators | {Role.EDITOR}
    assert {a for a, roles in ALLOWED.items() if None in roles} == {Action.BROWSE, Action.DOWNLOAD, Action.FAVORITE}


def test_leads_and_admins_review_versions_and_curators_may_also_promote() -> None:
    leads = {Role.SHOOT_LEAD, Role.POST_LEAD}
    assert ALLOWED[Action.REVIEW_VERSION] == leads | {Role.ADMIN}
    assert ALLOWED[Action.PROMOTE_VERSION] == leads | {Role.ADMIN, Role.POWER_USER}
    assert ALLOWED[Action.DELETE_VERSION] == ALLOWED[Action.DELETE_ASSET]


def test_whoever_may_delete_may_look_in_the_trash_and_restore() -> None:
    assert ALLOWED[Action.RESTORE_ASSET] == ALLOWED[Action.VIEW_TRASH] == ALLOWED[Action.DELETE_ASSET]


# --- the matrix ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Who calls (staff, or an external user of client-a) and whose things they call on."""

    name: str
    caller_clients: tuple[str, ...]
    owner_workspace: str
    owner_client: str | None

    def claims(self, role: Role | None) -> dict[str, str]:
        user = "user-ext" if self.caller_clients else "user-staff"
        return api_claims(user, WORKSPACE, role.value if role else None, list(self.caller_clients))

    def sees(self, parameter: str) -> bool:
        """Brands are workspace-wide; assets (and their usage links), folders and collections may be a client's."""
        if parameter in {"review_id", "position", "link_id"}:
            return self.owns_review
        if self.owner_workspace != WORKSPACE:
            return False
        client_scoped = parameter in {
            "asset_id",
            "usage_id",
            "folder_id",
            "collection_id",
            "import_id",
            "project_id",
            "story_id",
            "scene_id",
            "shot_id",
            "concept_id",
            "comment_id",
        }
        other_client = self.owner_client is not None and self.owner_client not in self.caller_clients
        return not (client_scoped and self.caller_clients and other_client)

    @property
    def owns_review(self) -> bool:
        """The caller's own review session: staff over shared things, an external user over their client's (the
        other scenarios' reviews are an admin's, which the caller is not named on, so cannot see)."""
        if self.owner_workspace != WORKSPACE:
            return False
        return self.owner_client in self.caller_clients if self.caller_clients else self.owner_client is None

    def changes(self, parameter: str) -> bool:
        """External users change only their own clients' things: shared ones and brands are read-only to them."""
        if not self.caller_clients:
            return True
        return parameter != "brand_id" and self.owner_client in self.caller_clients


SCENARIOS = [
    Scenario("staff-shared", (), WORKSPACE, None),
    Scenario("own-client", ("client-a",), WORKSPACE, "client-a"),
    Scenario("other-client", ("client-a",), WORKSPACE, "client-b"),
    Scenario("shared-to-external", ("client-a",), WORKSPACE, None),
    Scenario("other-workspace", (), RIVAL, None),
]


@dataclass(frozen=True)
class Things:
    asset_id: str
    folder_id: str
    collection_id: str
    brand_id: str
    usage_id: str
    number: int = 1  # a version of the asset
    import_id: str = ""  # a bulk import (awaiting its archive)
    project_id: str = ""  # a project with a story, a scene and an (empty) shot
    story_id: str = ""
    scene_id: str = ""
    shot_id: str = ""
    concept_id: str = ""  # a concept of the project (version 1: `number`)
    review_id: str = ""  # a review of the asset: the caller's own (see Scenario.owns_review) or an admin's
    position: int = 1
    link_id: str = ""  # a share link of the review (revoked by its route)
    token: str = ""  # another link's token (the share routes)
    comment_id: str = ""  # a comment on version 1 of the asset, written by the scenario's caller


class World:
    """One moto per module; things made through the API as their workspace's admin (assets seeded ready)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.shared = {s.name: self.make(s) for s in SCENARIOS}

    def make(self, scenario: Scenario) -> Things:
        asset_id = self.asset(scenario)
        collection_id, brand_id = self.collection(scenario), self.brand(scenario)
        usage = self._made(scenario, "POST", f"/assets/{asset_id}/usages", {"kind": "project", "ref": _unique()})
        self._made(scenario, "PUT", f"/collections/{collection_id}/assets/{asset_id}", status=204)
        self._made(scenario, "PUT", f"/assets/{asset_id}/brands/{brand_id}", status=204)
        bulk = self._made(
            scenario, "POST", "/imports", {"filename": "a.zip", "size": 10, "client_id": scenario.owner_client}
        )
        project_id = self.project(scenario)
        story_id = self._made(scenario, "POST", f"/projects/{project_id}/stories", {"title": "S"})["story_id"]
        scene_id = self._made(scenario, "POST", f"/stories/{story_id}/scenes", {"title": "S"})["scene_id"]
        return Things(
            asset_id,
            self.folder(scenario),
            collection_id,
            brand_id,
            usage["usage_id"],
            import_id=bulk["import"]["import_id"],
            project_id=project_id,
            story_id=story_id,
            scene_id=scene_id,
            shot_id=self._made(scenario, "POST", f"/scenes/{scene_id}/shots", {"title": "S"})["shot_id"],
            concept_id=self.concept(scenario, project_id),
            **self.review(scenario, asset_id),
            comment_id=self.comment(scenario, asset_id),
        )

    def review(self, scenario: Scenario, asset_id: str) -> dict[str, str]:
        """A review of the asset with two share links, owned by the scenario's caller when it may be theirs."""
        user = "user-ext" if scenario.caller_clients else "user-staff"
        owner = (
            api_claims(user, WORKSPACE, "admin", list(scenario.caller_clients))
            if scenario.owns_review
            else api_claims("user-admin", scenario.owner_workspace, "admin")
        )
        named = [{"user_id": user}] if scenario.owns_review else []  # the caller is on their own review only
        body = {
            "title": "Review",
            "reviewers": [*named, {"email": GUEST}],
            "items": [{"kind": "versions", "versions": [{"asset_id": asset_id}]}],
            "allow_download": True,
        }
        review_id = self._made(scenario, "POST", "/reviews", body, claims=owner)["review_id"]
        link = {"email": GUEST}
        made = [self._made(scenario, "POST", f"/reviews/{review_id}/links", link, claims=owner) for _ in range(2)]
        return {"review_id": review_id, "link_id": made[0]["link"]["link_id"], "token": made[1]["token"]}

    def comment(self, scenario: Scenario, asset_id: str) -> str:
        """Written by the user each cell calls as (only its author edits a comment), with a staff token."""
        author = "user-ext" if scenario.caller_clients else "user-staff"
        claims = api_claims(author, scenario.owner_workspace, "admin")
        response = self.api.request(
            "POST", f"/assets/{asset_id}/versions/1/comments", body={"body": "Hi"}, claims=claims
        )
        assert response.status == 201, response.body
        return str(response.json()["comment_id"])

    def concept(self, scenario: Scenario, project_id: str) -> str:
        body = {"kind": "brief", "title": "The brief", "text": "A heist."}
        return str(self._made(scenario, "POST", f"/projects/{project_id}/concepts", body)["concept_id"])

    def project(self, scenario: Scenario) -> str:
        body = {"name": _unique(), "reference": _reference(), "client_id": scenario.owner_client}
        return str(self._made(scenario, "POST", "/projects", body)["project_id"])

    def _fresh_node(self, scenario: Scenario, parameter: str) -> Things:
        """An empty story, scene or shot (a delete without force takes only those), or a shot holding a new
        asset (`attached`: to detach it) or beside one (`attachable`: to attach it)."""
        shared = self.shared[scenario.name]
        if parameter == "project_id":
            return replace(shared, project_id=self.project(scenario))
        if parameter == "story_id":
            made = self._made(scenario, "POST", f"/projects/{shared.project_id}/stories", {"title": "F"})
            return replace(shared, story_id=made["story_id"])
        if parameter == "scene_id":
            made = self._made(scenario, "POST", f"/stories/{shared.story_id}/scenes", {"title": "F"})
            return replace(shared, scene_id=made["scene_id"])
        shot = self._made(scenario, "POST", f"/scenes/{shared.scene_id}/shots", {"title": "F"})["shot_id"]
        asset_id = self.asset(scenario)
        if parameter == "attached":
            self._made(scenario, "PUT", f"/shots/{shot}/assets/{asset_id}", status=200)
        return replace(shared, shot_id=shot, asset_id=asset_id)

    def fresh(self, scenario: Scenario, parameter: str) -> Things:
        """The shared things, but a new one in place of what a successful call would use up."""
        if parameter == "number":  # a version that may be deleted: not the active one, not the only one
            asset_id = self.asset(scenario)
            body = {"filename": "v.png", "content_type": "image/png", "size": 4}
            version = self._made(scenario, "POST", f"/assets/{asset_id}/versions", body)["version"]
            return replace(self.shared[scenario.name], asset_id=asset_id, number=version["number"])
        if parameter == "review_id":
            shared = self.shared[scenario.name]
            return replace(shared, **self.review(scenario, shared.asset_id))
        if parameter == "trashed":  # an asset in the trash, to restore
            asset_id = self.asset(scenario)
            self._made(scenario, "DELETE", f"/assets/{asset_id}", status=204)
            return replace(self.shared[scenario.name], asset_id=asset_id)
        if parameter == "concept_id":
            shared = self.shared[scenario.name]
            return replace(shared, concept_id=self.concept(scenario, shared.project_id))
        if parameter == "comment_id":
            shared = self.shared[scenario.name]
            return replace(shared, comment_id=self.comment(scenario, shared.asset_id))
        if parameter in {"project_id", "story_id", "scene_id", "shot_id", "attached", "attachable"}:
            return self._fresh_node(scenario, parameter)
        new = {
            "asset_id": self.asset,
            "folder_id": self.folder,
            "collection_id": self.collection,
            "brand_id": self.brand,
        }
        changed: dict[str, Any] = {parameter: new[parameter](scenario)}
        return replace(self.shared[scenario.name], **changed)

    def asset(self, scenario: Scenario) -> str:
        asset = seed(f"a{_unique()}", workspace=scenario.owner_workspace, client=scenario.owner_client)
        self.api.aws.s3.put_object(Bucket=MEDIA_BUCKET, Key=asset.original_key, Body=b"\x89PNG")
        return asset.asset_id

    def folder(self, scenario: Scenario) -> str:
        body = {"name": _unique(), "client_id": scenario.owner_client}
        return str(self._made(scenario, "POST", "/folders", body)["folder_id"])

    def collection(self, scenario: Scenario) -> str:
        body = {"name": _unique(), "client_id": scenario.owner_client}
        return str(self._made(scenario, "POST", "/collections", body)["collection_id"])

    def brand(self, scenario: Scenario) -> str:
        return str(self._made(scenario, "POST", "/brands", {"name": _unique(), "color": "#112233"})["brand_id"])

    def _made(
        self,
        scenario: Scenario,
        method: str,
        path: str,
        body: Any = None,
        status: int = 201,
        claims: dict[str, str] | None = None,
    ) -> Any:
        admin = claims or api_claims("user-admin", scenario.owner_workspace, "admin")
        response = self.api.request(method, path, body=body, claims=admin)
        assert response.status == status, (method, path, response.body)
        return response.json() if response.body else None


def _unique() -> str:
    return uuid.uuid4().hex[:12]


_REFERENCES = itertools.count()
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _reference() -> str:
    """A project reference (4 characters, unique in a workspace): one the module has not used. Every cell
    builds its bodies (one reference each), so the module goes through thousands: P + 3 base-36 digits."""
    n = next(_REFERENCES)
    return "P" + "".join(_BASE36[n // 36**i % 36] for i in (2, 1, 0))


# Calls that, once they succeed, leave their thing unusable for the next cell (gone, or mid-rerun).
USED_UP = {
    ("DELETE", "/assets/<asset_id>"): "asset_id",
    ("POST", "/assets/<asset_id>/restore"): "trashed",
    ("POST", "/assets/<asset_id>/reanalyze"): "asset_id",
    ("POST", "/assets/<asset_id>/reprocess"): "asset_id",
    ("DELETE", "/folders/<folder_id>"): "folder_id",
    ("DELETE", "/collections/<collection_id>"): "collection_id",
    ("DELETE", "/brands/<brand_id>"): "brand_id",
    # A new version promoted at once would leave the shared asset showing a file not uploaded yet.
    ("POST", "/assets/<asset_id>/versions"): "asset_id",
    ("DELETE", "/assets/<asset_id>/versions/<number>"): "number",
    ("DELETE", "/projects/<project_id>"): "project_id",
    ("DELETE", "/stories/<story_id>"): "story_id",
    ("DELETE", "/scenes/<scene_id>"): "scene_id",
    ("DELETE", "/shots/<shot_id>"): "shot_id",
    ("PUT", "/shots/<shot_id>/assets/<asset_id>"): "attachable",
    ("DELETE", "/shots/<shot_id>/assets/<asset_id>"): "attached",
    ("DELETE", "/concepts/<concept_id>"): "concept_id",
    ("DELETE", "/reviews/<review_id>"): "review_id",
    ("DELETE", "/reviews/<review_id>/items/<position>"): "review_id",
    ("DELETE", "/assets/<asset_id>/versions/<number>/comments/<comment_id>"): "comment_id",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from dam.api.context import build_services, use_services
    from dam.settings import ApiSettings

    with pytest.MonkeyPatch.context() as patch, mocked_aws() as aws:
        fake_credentials(patch)
        # Local search (no cluster) and a do-nothing state machine, so reruns answer what they would deployed.
        patch.setenv("DAM_SEARCH_ENGINE", "embedded")
        patch.setenv("DAM_SEARCH_PATH", str(tmp_path_factory.mktemp("search") / "search.sqlite"))
        patch.setenv("DAM_EMBEDDER", "local")
        machine = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="dam-noop",
            definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
            roleArn="arn:aws:iam::123456789012:role/dam-noop",
        )
        settings = ApiSettings.from_environment(
            assets_table=ASSETS_TABLE,
            library_table=TABLES["Library"],
            media_bucket=MEDIA_BUCKET,
            state_machine_arn=machine["stateMachineArn"],
        )
        use_services(build_services(settings))
        try:
            yield World(Api(aws))
        finally:
            use_services(None)


def _request(route: Any, things: Things) -> tuple[str, list[dict[str, Any] | None], dict[str, str]]:
    """The path with the scenario's ids, the bodies to try (PATCH: one per field), and the query."""
    path = re.sub(r"<(\w+)>", lambda m: str(getattr(things, m.group(1))), route.path)
    bodies: dict[tuple[str, str], list[dict[str, Any] | None]] = {
        ("POST", "/uploads"): [{"filename": "p.png", "content_type": "image/png", "size": 4, "asset_type": "image"}],
        ("POST", "/uploads/<asset_id>/parts"): [{"part_numbers": [1]}],
        ("POST", "/uploads/<asset_id>/complete"): [{"parts": [{"part_number": 1, "etag": "e"}]}],
        ("POST", "/imports"): [{"filename": "p.zip", "size": 4}],
        ("PATCH", "/assets/<asset_id>"): [
            {"notes": "n"},
            {"name": "renamed"},
            {"folder_id": None},
            {"tags": ["hero"]},
            {"asset_type": "product"},
            {},
        ],
        ("POST", "/assets/<asset_id>/reanalyze"): [None, {"hint": "a prop sword"}],
        ("POST", "/assets/<asset_id>/versions"): [
            {"filename": "v.png", "content_type": "image/png", "size": 4},
            {"filename": "v.png", "content_type": "image/png", "size": 4, "promote": True},
        ],
        ("POST", "/assets/<asset_id>/usages"): [{"kind": "workflow", "ref": _unique()}],
        ("POST", "/generation-inputs/check"): [
            {"output_media_type": "video", "inputs": [{"asset_id": "no-such-asset"}]}
        ],
        ("POST", "/folders"): [{"name": _unique()}],
        ("PATCH", "/folders/<folder_id>"): [{"name": "renamed"}],
        ("POST", "/collections"): [{"name": _unique()}],
        ("PATCH", "/collections/<collection_id>"): [{"name": "renamed"}],
        ("POST", "/brands"): [{"name": _unique(), "color": "#445566"}],
        ("PATCH", "/brands/<brand_id>"): [{"color": "#778899"}],
        ("POST", "/assistant/brief"): [{"idea": "a heist in a lighthouse"}],
        ("POST", "/assistant/scenes"): [{"story": "INT. LAMP ROOM - NIGHT\n\nThe lens turns."}],
        ("POST", "/assistant/shots"): [{"scene": "The lens turns.\n\nA shadow passes."}],
        ("POST", "/projects"): [{"name": _unique(), "reference": _reference()}],
        ("PATCH", "/projects/<project_id>"): [{"name": "renamed"}, {"stage": "production"}],
        ("POST", "/projects/<project_id>/stories"): [{"title": "New"}],
        ("PATCH", "/stories/<story_id>"): [{"title": "Renamed"}],
        ("POST", "/stories/<story_id>/scenes"): [{"title": "New"}],
        ("PATCH", "/scenes/<scene_id>"): [{"title": "Renamed"}],
        ("POST", "/scenes/<scene_id>/shots"): [{"title": "New"}],
        ("PATCH", "/shots/<shot_id>"): [{"title": "Renamed"}],
        ("POST", "/shots/<shot_id>/send-back"): [{"note": "darker"}],
        ("POST", "/projects/<project_id>/concepts"): [{"kind": "note", "title": "New"}],
        ("PATCH", "/concepts/<concept_id>"): [{"text": _unique()}],
        ("POST", "/reviews"): [{"title": "New"}],
        ("PATCH", "/reviews/<review_id>"): [{"title": "Renamed"}],
        ("POST", "/reviews/<review_id>/items"): [
            {"items": [{"kind": "versions", "versions": [{"asset_id": things.asset_id}]}]}
        ],
        ("POST", "/reviews/<review_id>/items/<position>/decision"): [{"verdict": "approved"}],
        ("POST", "/reviews/<review_id>/links"): [{"email": GUEST}],
        ("POST", "/share/<token>/items/<position>/decision"): [{"verdict": "changes_requested"}],
        ("POST", "/share/<token>/items/<position>/comments"): [{"body": "The sky is too green"}],
        ("POST", "/assets/<asset_id>/versions/<number>/comments"): [{"body": "Warmer, @user-admin?"}],
        ("PATCH", "/assets/<asset_id>/versions/<number>/comments/<comment_id>"): [{"body": _unique()}],
    }
    # Keyword mode: the matrix is about who may search, and embedding each query costs seconds here.
    query = {"q": "anything", "mode": "keyword"} if route.path == "/search" else {}
    if route.path == "/assets/<asset_id>/compare":
        query = {"a": "1", "b": "1"}
    if route.path == "/share/<token>/items/<position>/rendition":
        query = {"name": "original"}  # the review allows downloads; the seeded asset has no renditions
    if route.path == "/assets/<asset_id>/comments":
        query = {"versions": "1"}
    return path, bodies.get(_key(route), [None]), query


# What each changing route changes (so whose it must be); creations make the caller's own.
CHANGES = {
    ("PATCH", "/assets/<asset_id>"): "asset_id",
    ("DELETE", "/assets/<asset_id>"): "asset_id",
    ("POST", "/assets/<asset_id>/restore"): "asset_id",
    ("POST", "/assets/<asset_id>/reanalyze"): "asset_id",
    ("POST", "/assets/<asset_id>/reprocess"): "asset_id",
    ("POST", "/assets/<asset_id>/archive"): "asset_id",
    ("POST", "/assets/<asset_id>/unarchive"): "asset_id",
    ("PUT", "/assets/<asset_id>/brands/<brand_id>"): "asset_id",
    ("DELETE", "/assets/<asset_id>/brands/<brand_id>"): "asset_id",
    ("POST", "/assets/<asset_id>/usages"): "asset_id",
    ("DELETE", "/assets/<asset_id>/usages/<usage_id>"): "asset_id",
    ("PATCH", "/folders/<folder_id>"): "folder_id",
    ("DELETE", "/folders/<folder_id>"): "folder_id",
    ("PATCH", "/collections/<collection_id>"): "collection_id",
    ("DELETE", "/collections/<collection_id>"): "collection_id",
    ("PUT", "/collections/<collection_id>/assets/<asset_id>"): "collection_id",
    ("DELETE", "/collections/<collection_id>/assets/<asset_id>"): "collection_id",
    ("POST", "/brands"): "brand_id",
    ("PATCH", "/brands/<brand_id>"): "brand_id",
    ("DELETE", "/brands/<brand_id>"): "brand_id",
    ("POST", "/uploads/<asset_id>/parts"): "asset_id",
    ("GET", "/uploads/<asset_id>/parts"): "asset_id",
    ("POST", "/uploads/<asset_id>/complete"): "asset_id",
    ("DELETE", "/uploads/<asset_id>"): "asset_id",
    ("PATCH", "/projects/<project_id>"): "project_id",
    ("DELETE", "/projects/<project_id>"): "project_id",
    ("POST", "/projects/<project_id>/stories"): "project_id",
    ("PATCH", "/stories/<story_id>"): "story_id",
    ("DELETE", "/stories/<story_id>"): "story_id",
    ("POST", "/stories/<story_id>/scenes"): "story_id",
    ("PATCH", "/scenes/<scene_id>"): "scene_id",
    ("DELETE", "/scenes/<scene_id>"): "scene_id",
    ("POST", "/scenes/<scene_id>/shots"): "scene_id",
    ("PATCH", "/shots/<shot_id>"): "shot_id",
    ("DELETE", "/shots/<shot_id>"): "shot_id",
    ("PUT", "/shots/<shot_id>/assets/<asset_id>"): "shot_id",
    ("DELETE", "/shots/<shot_id>/assets/<asset_id>"): "shot_id",
    ("POST", "/shots/<shot_id>/submit"): "shot_id",
    ("POST", "/shots/<shot_id>/approve"): "shot_id",
    ("POST", "/shots/<shot_id>/send-back"): "shot_id",
    ("POST", "/shots/<shot_id>/reopen"): "shot_id",
    ("POST", "/projects/<project_id>/concepts"): "project_id",
    ("PATCH", "/concepts/<concept_id>"): "concept_id",
    ("DELETE", "/concepts/<concept_id>"): "concept_id",
    ("POST", "/imports/<import_id>/retry"): "import_id",
    ("POST", "/assets/<asset_id>/versions/<number>/comments"): "asset_id",
    ("PATCH", "/assets/<asset_id>/versions/<number>/comments/<comment_id>"): "asset_id",
    ("DELETE", "/assets/<asset_id>/versions/<number>/comments/<comment_id>"): "asset_id",
}
# Routes where the caller's own things need less: the matrix's things are their workspace admin's, so a caller
# also needs this action to act on them.
NOT_THEIRS = {("POST", "/imports/<import_id>/retry"): Action.REPROCESS}
# Routes for uploads in progress: past the policy, the scenario's processed asset answers 409 (nothing to do).
PAST_THEIR_STATE = {
    ("POST", "/uploads/<asset_id>/parts"),
    ("GET", "/uploads/<asset_id>/parts"),
    ("POST", "/uploads/<asset_id>/complete"),
    ("DELETE", "/uploads/<asset_id>"),
    # The shared shot is empty: past the policy, every review step says why it cannot move.
    ("POST", "/shots/<shot_id>/submit"),
    ("POST", "/shots/<shot_id>/approve"),
    ("POST", "/shots/<shot_id>/send-back"),
    ("POST", "/shots/<shot_id>/reopen"),
    # The matrix's import awaits its archive: none of its files failed.
    ("POST", "/imports/<import_id>/retry"),
}


def _expected(route: Any, scenario: Scenario, role: Role | None, body: dict[str, Any] | None) -> int:
    required = EXPECTED[_key(route)]
    if required is None:
        return PUBLIC_ANSWERS.get(_key(route), 200)
    hidden = any(not scenario.sees(p) for p in re.findall(r"<(\w+)>", route.path))
    fields = FIELDS_OF.get(_key(route), {})
    touched = tuple(fields[f] for f in (body or {}) if f in fields)
    if route.method == "PATCH" and route.path == "/assets/<asset_id>" and not touched:
        touched = (Action.EDIT_NOTES,)  # an empty edit still needs the right to edit something
    allowed = all(role in ALLOWED[a] for a in (*required, *touched))
    if hidden:
        return 404
    if not allowed:
        return 403
    if _key(route) in NOT_THEIRS and role not in ALLOWED[NOT_THEIRS[_key(route)]]:
        return 403
    if _key(route) in CHANGES and not scenario.changes(CHANGES[_key(route)]):
        return 403
    if _key(route) in PAST_THEIR_STATE:
        return 409
    if route.path.startswith("/assistant/"):
        if scenario.caller_clients:
            return 403  # the assistant is for staff: external users never, whatever their role
        if route.path == "/assistant/brief":
            return 503  # the module's API has no model configured: the offline adapter says so
    if route.path.startswith("/audit") and scenario.caller_clients:
        return 403  # the audit log holds every client's changes: external users never, whatever their role
    return int(next(iter(route.responses)))


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_each_role_gets_what_the_policy_says_on_each_scenario(world: World, route: Any) -> None:
    wrong = []
    for scenario, role in itertools.product(SCENARIOS, ROLES):
        things = world.shared[scenario.name]
        path, bodies, query = _request(route, things)
        for body in bodies:
            expected = _expected(route, scenario, role, body)
            if _key(route) in USED_UP and 200 <= expected < 300:
                path, _, _ = _request(route, world.fresh(scenario, USED_UP[_key(route)]))
            response = world.api.request(route.method, path, body=body, query=query, claims=scenario.claims(role))
            cell = f"{scenario.name} {role.value if role else 'viewer'} {json.dumps(body)}"
            if response.status != expected:
                wrong.append(f"{cell}: {response.status} (expected {expected}) {response.body[:120]}")
            elif expected == 403:
                assert response.json()["error"]["code"] == "forbidden"
            elif expected == 200 and route.method == "GET" and EXPECTED[_key(route)] is not None:
                # (A share link shows its review's versions to whoever holds its token: that is its point.)
                unseen = [
                    getattr(things, p) for p in ("asset_id", "folder_id", "collection_id") if not scenario.sees(p)
                ]
                assert not [i for i in unseen if i in response.body], f"{cell}: lists what it may not see"
    assert not wrong, "\n".join(wrong)
