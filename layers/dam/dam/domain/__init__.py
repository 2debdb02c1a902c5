"""Pure domain: models and rules. Nothing here knows about AWS."""
