"""Exports of the asset inventory (XLSX, CSV), safe against formula injection."""

from core.export.inventory import ExportResult, csv_safe, export_assets, export_inventory

__all__ = ["ExportResult", "csv_safe", "export_assets", "export_inventory"]
