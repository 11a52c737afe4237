"""Importing inventory files into raw records, with their data import and discovery flow.

    result = import_file(core, tenant, "servers.csv", progress=on_progress, cancel=token)
    rows = read_records(uow, result.import_id, limit=100)

Importing a file a completed import of the engagement already holds is refused (`DuplicateImport`)
unless `allow_duplicate=True`. Qt-free: the GUI runs `import_file` on a worker thread and shows
`core.progress.Progress` snapshots.
"""

from core.imports.duplicates import DuplicateImport, EarlierImport, earlier_imports_of_file
from core.imports.records import column_samples, import_columns, iter_records, read_records
from core.imports.service import ImportResult, failed_import_id, import_file
from core.progress import CancelToken, Progress, ProgressFn

__all__ = [
    "CancelToken",
    "DuplicateImport",
    "EarlierImport",
    "ImportResult",
    "Progress",
    "ProgressFn",
    "column_samples",
    "earlier_imports_of_file",
    "failed_import_id",
    "import_columns",
    "import_file",
    "iter_records",
    "read_records",
]
