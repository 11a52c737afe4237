"""Read models for screens and the CLI: navigation, import catalogue, asset pages. Reads never write."""
