"""The clients a caller may file uploads, folders, collections and projects under (the upload form's picker)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dam.api.context import current_caller, services
from dam.api.errors import route_responses
from dam.api.models import ClientList, ClientOut
from dam.api.permissions import permits
from dam.domain.permissions import Action

router = APIGatewayHttpRouter()


@router.get(
    "/clients",
    summary="List the clients you may use",
    description="External users: their own clients (the first is where their uploads go by default). Staff: every "
    "client the workspace's folders, collections and projects name, sorted (clients have no registry of their "
    "own: a client named only on assets is not listed, and any client id may still be given).",
    responses=route_responses(200, "Client ids", ClientList, 401),
    tags=["Clients"],
)
@permits(Action.BROWSE)
def list_clients() -> ClientList:
    caller = current_caller()
    found = services()

    def of_projects() -> list[str | None]:
        return [project.client_id for project in found.projects.projects(caller)]

    return ClientList(items=[ClientOut(client_id=client) for client in found.library.clients(caller, of_projects)])
