"""The HTTP API: Powertools resolver, pydantic request/response models, one error mapping."""

from dam import lazy_packages

lazy_packages.install_powertools()  # first: a request loads the HTTP API's resolver and event class alone
