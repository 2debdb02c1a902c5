"""Routes declare their action with `@permits`; one middleware enforces it before the route runs.

Order matters: validation (422) first, then the role. A caller whose role is refused learns 403
only about what they can see; anything else named in the path answers 404, as it would for anyone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from dam.api.context import ApiServices, current_caller, services
from dam.domain.errors import Forbidden
from dam.domain.identity import Caller
from dam.domain.permissions import Action, can, require
from dam.observability import use_actor

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
    from aws_lambda_powertools.event_handler.api_gateway import Route
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Policy:
    """What a route needs: `actions` always, plus `by_field[name]` for each body field the request sets."""

    actions: tuple[Action, ...] = ()
    by_field: Mapping[str, Action] = field(default_factory=dict)
    public: bool = False  # no token needed (health, the OpenAPI document)

    def required(self, body: Any) -> tuple[Action, ...]:
        touched = body.model_fields_set if isinstance(body, BaseModel) else set()
        # A flag sent as false asks for nothing (`"promote": false` is a plain upload); any other value, null
        # included (`folder_id: null` unassigns), is a change that needs its right.
        asked = {name for name in touched if getattr(body, name, None) is not False}
        return self.actions + tuple(action for name, action in self.by_field.items() if name in asked)

    def check(self, caller: Caller, body: Any) -> None:
        required = self.required(body)
        # An edit that sets no field changes nothing, yet still needs the right to edit something.
        if not required and self.by_field and not any(can(caller, a) for a in self.by_field.values()):
            required = tuple(self.by_field.values())[:1]
        require(caller, *required)


_POLICIES: dict[Callable[..., Any], Policy] = {}


def permits(*actions: Action, by_field: Mapping[str, Action] | None = None) -> Callable[[F], F]:
    """Declare what a route needs (see dam.domain.permissions.ALLOWED for who may)."""
    policy = Policy(actions=actions, by_field=dict(by_field or {}))

    def declare(func: F) -> F:
        _POLICIES[func] = policy
        return func

    return declare


def public(func: F) -> F:
    _POLICIES[func] = Policy(public=True)
    return func


def policy_of(route: Route) -> Policy | None:
    return _POLICIES.get(route.func)


def undeclared(app: APIGatewayHttpResolver) -> list[str]:
    """Routes that declare no policy: the resolver refuses to start with any."""
    return [f"{r.method} {r.path}" for r in app._static_routes + app._dynamic_routes if policy_of(r) is None]


# What a path parameter names, read as the caller: NotFound when they may not see it.
_LOOKUPS: dict[str, Callable[[ApiServices], Callable[[Caller, str], object]]] = {
    "asset_id": lambda built: built.assets.get,
    "folder_id": lambda built: built.library.folder,
    "collection_id": lambda built: built.library.collection,
    "brand_id": lambda built: built.library.brand,
    "project_id": lambda built: built.projects.project,
    "story_id": lambda built: lambda caller, node_id: built.projects.node(caller, "story", node_id),
    "scene_id": lambda built: lambda caller, node_id: built.projects.node(caller, "scene", node_id),
    "shot_id": lambda built: lambda caller, node_id: built.projects.node(caller, "shot", node_id),
    "concept_id": lambda built: built.concepts.concept,
    "review_id": lambda built: built.reviews.session,
    "import_id": lambda built: built.imports.get,
}


def enforce(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
    policy = policy_of(app.context["_route"])
    # Only Powertools' own no-such-route handler has none: undeclared() refuses to start otherwise.
    if policy is not None and not policy.public:
        caller = current_caller()
        use_actor(caller.user_id)  # every write this request makes records who made it (the audit log)
        arguments: dict[str, Any] = app.context.get("_route_args", {})
        try:
            policy.check(caller, arguments.get("body"))
        except Forbidden:
            # Looked up only on refusal, so allowed requests pay nothing for it.
            for name, lookup in _LOOKUPS.items():
                if name in arguments:
                    lookup(services())(caller, arguments[name])
            raise
    return next_middleware(app)
