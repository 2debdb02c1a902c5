"""Adapters: one module per external system. Each turns SDK errors into domain errors."""
