"""Dependency view: move groups as clusters, infrastructure set aside, one group drawn on demand."""
