"""Importing inventory files into raw records, with their data import and discovery flow.

    result = import_file(core, tenant, "servers.csv", progress=on_progress, cancel=token)
    rows = read_records(uow, result.import_id, limit=100)

Qt-free: the GUI runs `import_file` on a worker thread and shows `ImportProgress` snapshots.
"""

from core.imports.progress import CancelToken, ImportProgress, ProgressCallback
from core.imports.records import column_samples, import_columns, iter_records, read_records
from core.imports.service import ImportResult, failed_import_id, import_file

__all__ = [
    "CancelToken",
    "ImportProgress",
    "ImportResult",
    "ProgressCallback",
    "column_samples",
    "failed_import_id",
    "import_columns",
    "import_file",
    "iter_records",
    "read_records",
]
