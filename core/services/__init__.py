"""Core services: plain functions taking a unit of work (or session factory) and returning data."""
