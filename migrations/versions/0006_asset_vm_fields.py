"""Assets keep what RVTools says about each VM: template flag, NIC count, firmware, HW version, configured OS.

Why (issue 12.11): the suggester maps RVTools' `Template`, `NICs`, `Firmware`, `HW version` and
`OS according to the configuration file` onto the project fields `is_template`, `nic_count`,
`firmware_type`, `vm_hardware_version` and `os_configured` (resources/project_asset_fields.yaml),
but cleansing kept only the contract's fields, so the values were dropped and templates became
ordinary VMs counted as servers.

What this revision adds (columns only, nullable, no default: no table is rewritten or scanned):
`assets.is_template` (boolean), `assets.nic_count` (integer), `assets.firmware_type`,
`assets.vm_hardware_version` and `assets.os_configured` (text). Assets inventoried before this
revision keep NULL until their flow's inventory runs again. Row-level security is unchanged: the
table's policies cover new columns.

Downgrade drops the five columns.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS: tuple[tuple[str, sa.types.TypeEngine[object]], ...] = (
    ("is_template", sa.Boolean()),
    ("nic_count", sa.Integer()),
    ("firmware_type", sa.Text()),
    ("vm_hardware_version", sa.Text()),
    ("os_configured", sa.Text()),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("assets", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column("assets", name)
