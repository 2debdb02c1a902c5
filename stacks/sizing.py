"""What each function and the search domain are sized at: plain values, no CDK import, so the cost model
(`bench/cost_model.py`) reads the same numbers the stacks deploy without starting the CDK runtime.
`tests/infra/test_cost_model.py` checks them against the synthesized template."""

from __future__ import annotations

from dataclasses import dataclass

# Memory (MB) of each function, keyed by its construct path under the stack (`dam-dev/<path>/Function`).
FUNCTION_MEMORY_MB: dict[str, int] = {
    "Api/Handler": 1536,  # stacks/api.py says why (format conversions of large images)
    "Ingest/Handler": 1024,  # an archive's entry and its converted image in memory, one at a time
    "Search/Indexer": 512,
    "Audit/Handler": 256,  # a batch of 100 small records, one PutItem each
    "LibraryWorker/Handler": 512,  # 250 assets a message, one page of ids at a time
    "Pipeline/Register": 1024,
    "Pipeline/Renditions": 3008,
    "Pipeline/Analyze": 1024,
    "Pipeline/Embed": 512,
    "Pipeline/Finalize": 256,
    "Pipeline/RecordFailure": 256,
}


@dataclass(frozen=True)
class SearchSizing:
    """The stage's OpenSearch domain: data nodes spread evenly over `zones` AZs, `master_nodes` dedicated
    masters (0: none), and a gp3 volume of `volume_gb` on each data node."""

    data_nodes: int
    data_instance_type: str
    master_nodes: int
    master_instance_type: str
    volume_gb: int
    zones: int

    def __post_init__(self) -> None:
        if self.zones not in (1, 2, 3) or self.data_nodes % self.zones:
            raise ValueError(f"search_data_nodes ({self.data_nodes}) must be a multiple of search_zones (1-3)")
        if self.master_nodes not in (0, 3, 5):  # a quorum needs 3 or 5; 0 lets the data nodes elect
            raise ValueError(f"search_master_nodes must be 0, 3 or 5, got {self.master_nodes}")
        if self.volume_gb < 10:
            raise ValueError(f"search_volume_gb must be at least 10 (the smallest EBS volume), got {self.volume_gb}")


# dev: one node (no replica, no failover); prod: 3 AZs, each with a data node and a master. The dev instance is one
# whose pairing with the engine OpenSearch Service's "Supported instance types" page states ("M5 ... any version of
# OpenSearch"); a cheaper t3.small.search may work too: check with `aws opensearch list-instance-type-details
# --engine-version OpenSearch_2.19 --instance-type t3.small.search` first, then `-c search_data_instance_type=…`.
DEV_SEARCH = SearchSizing(1, "m5.large.search", 0, "m7g.medium.search", 10, 1)
PROD_SEARCH = SearchSizing(3, "r7g.large.search", 3, "m7g.medium.search", 100, 3)
