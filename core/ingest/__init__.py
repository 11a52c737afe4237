"""Reading inventory exports: CSV/TSV, Excel workbooks, JSON, JSON Lines and ZIPs of CSVs, streamed as text.

    with open_table(path) as table:
        table.info.columns          # detected header, unique names
        for record_index, cells in table.iter_rows():
            ...

Everything is Qt-free. Bad input raises `core.errors.UserInputError` with file/sheet/row set.
"""

from core.ingest.detect import detect_format
from core.ingest.model import BadRow, Format, SourceColumn, TableInfo
from core.ingest.reader import open_table, scan_bad_rows, workbook_sheets
from core.ingest.table import Table

__all__ = [
    "BadRow",
    "Format",
    "SourceColumn",
    "Table",
    "TableInfo",
    "detect_format",
    "open_table",
    "scan_bad_rows",
    "workbook_sheets",
]
