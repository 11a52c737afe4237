"""What the demo contains: two client accounts, their engagements and the files imported into each.

Why a table: the seed, its tests and the README describe the same demo; each import names the
stage its flow is brought to, so the demo shows every stage a consultant meets — a mapping waiting
for review, a finished mapping not yet cleansed, a cleansed import, and flows run as far as the
engines go (the asset inventory today; dependency analysis and tech debt have no engine yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from core.flows.phases import PHASES

REVIEW = "data_import"
"""Imported, confident suggestions approved, the rest waiting for the consultant's review."""
MAPPED = "field_mapping"
"""Every column decided and the mapping finished; cleansing not run yet."""
CLEANSED = "data_cleansing"
"""Cleansed; the inventory not built yet."""
AS_FAR_AS_ENGINES_GO = PHASES[-1]
"""Run through every phase that has an engine; the flow stops at the first one without."""


class DemoImport(NamedTuple):
    """One demo file: its name, the tool that made it (its layout in `core.demo.files`), its stage."""

    filename: str
    source: str
    through: str
    layout: str
    corrections: tuple[tuple[str, str], ...] = ()
    """(column, target) a consultant set by hand where the suggester proposed nothing."""
    site: str | None = None
    """Only the machines of this site (an RVTools export of one vCenter), else the whole estate."""


@dataclass(frozen=True)
class DemoEngagement:
    client: str
    industry: str
    engagement: str
    domain: str
    sites: tuple[str, ...]
    imports: tuple[DemoImport, ...]


DEMO = (
    DemoEngagement(
        "Northwind Bank (demo)",
        "Financial services",
        "Datacenter exit 2027",
        "nwb.example.com",
        ("London DC2", "Frankfurt DC1"),
        (
            DemoImport(
                "cmdb_ci_server_export.csv",
                "ServiceNow",
                AS_FAR_AS_ENGINES_GO,
                "ServiceNow",
                corrections=(("assigned_to", "technical_owner"),),
            ),
            DemoImport("rvtools_vinfo_fra.xlsx", "RVTools", CLEANSED, "RVTools", site="Frankfurt DC1"),
            DemoImport("app_owners_q3.xlsx", "Spreadsheet", REVIEW, "Spreadsheet:owners"),
        ),
    ),
    DemoEngagement(
        "Contoso Manufacturing (demo)",
        "Manufacturing",
        "Azure landing 2026",
        "contoso-mfg.example.net",
        ("Chicago Plant", "Dallas Colo"),
        (
            DemoImport(
                "azure_migrate_assessment.csv", "Azure Migrate", AS_FAR_AS_ENGINES_GO, "Azure Migrate"
            ),
            DemoImport("plant_servers.csv", "Spreadsheet", MAPPED, "Spreadsheet:plant"),
        ),
    ),
)
