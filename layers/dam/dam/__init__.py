"""The asset library's shared code: domain rules, use cases, adapters and the HTTP API.

Deployed to Lambda as a layer; imported by tests and the local stack as a normal package.
"""
