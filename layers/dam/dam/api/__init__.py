"""The HTTP API: Powertools resolver, pydantic request/response models, one error mapping."""
