"""README.md's architecture diagram names what the template deploys, and nothing it doesn't.

The convention (also written as a comment inside the diagram): a node or subgraph standing for a deployed
resource ends its label with `<i>Path</i>`, the resource's construct path under the stack; inside the
`states` subgraph each node's first line is a state of the pipeline's ASL."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tests.infra.synth import INFRA_MARKS, PROJECT_ROOT, Synth

pytestmark = INFRA_MARKS

README = PROJECT_ROOT / "README.md"
ASL = PROJECT_ROOT / "local" / "dam_local" / "pipeline.asl.json"
STATES_SUBGRAPH = "states"
# What the diagram must show: every resource of these types (`find the construct path` in the message).
DRAWN_TYPES = (
    "AWS::Lambda::Function",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::StepFunctions::StateMachine",
    "AWS::OpenSearchService::Domain",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::Cognito::UserPool",
    "AWS::CloudWatch::Dashboard",
    "AWS::CloudFront::Distribution",
)
# Plumbing CDK adds that no request or upload passes through, by construct path prefix, with why it is left out.
NOT_DRAWN = {
    "Custom::S3AutoDeleteObjectsCustomResourceProvider": "empties the bucket when a dev stack is deleted",
    "BucketNotificationsHandler": "CDK's custom resource that writes the bucket's notification configuration",
    "LogRetention": "CDK's custom resource that sets a log group's retention",
    "Custom::CDKBucketDeployment": "CDK's custom resource that copies the web build into its bucket at deploy time",
}

_MERMAID = re.compile(r"```mermaid\n(.*?)```", re.S)
_SUBGRAPH = re.compile(r'^\s*subgraph\s+(\w+)\s*\["(.*)"\]\s*$')
# id, then one of the shapes the diagram uses, then the quoted label: a["…"], a(["…"]), a[("…")], a{"…"}
_NODE = re.compile(r'(?<![\w|-])([A-Za-z_]\w*)\s*(?:\(\[|\[\(|\[\[|\(\(|\[|\{|\()"([^"]*)"')
_PATH = re.compile(r"<i>([^<]+)</i>")


@dataclass(frozen=True)
class Node:
    node_id: str
    label: str
    within: tuple[str, ...]  # the subgraphs around its first definition, outermost first

    @property
    def path(self) -> str | None:
        found = _PATH.findall(self.label)
        return found[-1] if found else None

    @property
    def title(self) -> str:
        return self.label.split("<br/>")[0]


def diagram_nodes(readme: str) -> list[Node]:
    """Every node and subgraph of the README's (one) Mermaid diagram, at its first definition."""
    (diagram,) = _MERMAID.findall(readme)
    nodes: dict[str, Node] = {}
    stack: list[str] = []
    for line in diagram.splitlines():
        code = line.split("%%")[0]
        if subgraph := _SUBGRAPH.match(code):
            nodes.setdefault(subgraph[1], Node(subgraph[1], subgraph[2], tuple(stack)))
            stack.append(subgraph[1])
        elif code.strip() == "end":
            stack.pop()
        else:
            for node_id, label in _NODE.findall(code):
                nodes.setdefault(node_id, Node(node_id, label, tuple(stack)))
    return list(nodes.values())


def asl_states(graph: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Every state of the pipeline, those inside the Parallel's branches included, by name."""
    graph = graph if graph is not None else json.loads(ASL.read_text())
    states = dict(graph["States"])
    for state in graph["States"].values():
        for branch in state.get("Branches", []):
            states |= asl_states(branch)
    return states


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def _construct_paths(synth: Synth) -> dict[str, str]:
    """Logical id → construct path under the stack, for every resource of the template."""
    prefix = f"{synth.stack.stack_name}/"
    return {logical_id: synth.path(logical_id).removeprefix(prefix) for logical_id in synth.resources}


def test_every_node_of_the_diagram_is_in_the_template(synth: Synth) -> None:
    deployed = _construct_paths(synth).values()
    drawn = [node for node in diagram_nodes(README.read_text()) if node.path]
    assert len(drawn) >= 20
    for node in drawn:
        assert node.path and any(_under(path, node.path) for path in deployed), (
            f"README's architecture diagram shows `{node.node_id}` as <i>{node.path}</i>, which the synthesized "
            "template has no resource under: rename the node's path to the construct's, or remove the node"
        )


def test_every_function_table_bucket_queue_and_domain_of_the_template_is_in_the_diagram(synth: Synth) -> None:
    drawn = {node.path for node in diagram_nodes(README.read_text()) if node.path}
    paths = _construct_paths(synth)
    missing = []
    for logical_id, resource in synth.resources.items():
        path = paths[logical_id]
        if resource["Type"] not in DRAWN_TYPES or any(path.startswith(p) for p in NOT_DRAWN):
            continue
        if not any(_under(path, prefix) for prefix in drawn):
            construct = path.removesuffix("/Resource").removesuffix("/Function")
            node = f'x["what it does<br/><i>{construct}</i>"]'
            missing.append(f"{resource['Type']} {logical_id}: add a node like `{node}`")
    assert not missing, (
        "README's architecture diagram (```mermaid in ## Architecture) lacks resources the template deploys; "
        "add a node for each, with an edge showing what calls it (plumbing no request passes through goes in "
        "NOT_DRAWN in tests/infra/test_readme_diagram.py, with its reason):\n  " + "\n  ".join(missing)
    )


def test_the_states_subgraph_shows_every_state_of_the_pipeline() -> None:
    nodes = diagram_nodes(README.read_text())
    drawn = {node.title for node in nodes if STATES_SUBGRAPH in node.within}
    defined = set(asl_states())
    assert drawn == defined, (
        f"the diagram's `{STATES_SUBGRAPH}` subgraph shows {sorted(drawn - defined)} that the pipeline lacks and "
        f"lacks {sorted(defined - drawn)} (stacks/pipeline.py; local/dam_local/pipeline.asl.json is its ASL)"
    )


def test_each_task_state_carries_the_path_of_the_function_it_invokes(synth: Synth) -> None:
    paths = _construct_paths(synth)
    functions = {paths[logical_id] for logical_id in synth.of_type("AWS::Lambda::Function")}
    tasks = {name for name, state in asl_states().items() if state["Type"] == "Task"}
    for node in diagram_nodes(README.read_text()):
        if STATES_SUBGRAPH in node.within and node.title in tasks:
            assert node.path == f"Pipeline/{node.title}", node
            assert any(_under(path, node.path) for path in functions), node


def test_the_parser_reads_shapes_subgraphs_and_comments() -> None:
    readme = (
        '```mermaid\nflowchart LR\n  %% a["not a node"]\n  subgraph outer["Outer<br/><i>X</i>"]\n'
        '    a["A<br/><i>X/A</i>"]\n    b{"B?"}\n  end\n  c[("C")] -->|"a label"| a\n```\n'
    )
    nodes = {node.node_id: node for node in diagram_nodes(readme)}
    assert set(nodes) == {"outer", "a", "b", "c"}
    assert nodes["a"].path == "X/A" and nodes["a"].title == "A" and nodes["a"].within == ("outer",)
    assert nodes["b"].path is None and nodes["c"].within == ()
