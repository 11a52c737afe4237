"""The wave planner: waves as columns, applications dragged between them, broken dependencies shown."""
