"""Storing suggestions: one row per column, in order, idempotent, with an event."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import FlowEvent, ImportFieldMapping
from core.mapping_review import (
    MappingDecisionError,
    mapping_rows,
)
from core.uow import Tenant

from .conftest import SERVERS_COLUMNS, MakeImport


def test_one_row_per_column_in_file_order(core: Core, tenant: Tenant, make_import: MakeImport) -> None:
    ref = make_import()
    rows = mapping_actions.generate_suggestions(core.uows, tenant, ref.import_id, use_semantic=False).value
    assert [r.source_field for r in rows] == SERVERS_COLUMNS
    assert [r.position for r in rows] == list(range(len(SERVERS_COLUMNS)))
    assert all(r.status == "suggested" and r.version == 1 and r.suggested_by == "rules" for r in rows)
    by = {r.source_field: r for r in rows}
    assert by["IP Address"].target_field == "ip_address"
    assert by["RAM (MB)"].target_field == "memory_gb"
    assert by["RAM (MB)"].transformation_rules["scale"] == 1 / 1024
    assert by["RAM (MB)"].target_unit == "GB" and by["RAM (MB)"].target_description
    assert by["IsPhysical"].target_field == "is_virtual"
    assert by["Zorglub"].target_field is None and by["Zorglub"].match_type == "none"
    assert all(r.explanation for r in rows)
    assert by["Server Name"].samples == ["web01", "db01", "app03", "app04"]
    assert by["IP Address"].samples[1] == "10.0.0.2; 10.0.0.9"

    with core.uow(tenant) as uow:  # persisted, with an event on the flow
        stored = uow.session.scalars(
            select(ImportFieldMapping).where(ImportFieldMapping.data_import_id == ref.import_id)
        ).all()
        assert len(stored) == len(SERVERS_COLUMNS)
        assert all(m.suggestion and m.suggestion["value_fingerprint"] for m in stored)
        ev = uow.session.scalars(
            select(FlowEvent).where(
                FlowEvent.flow_id == ref.flow_id, FlowEvent.event_type == "mapping_suggested"
            )
        ).one()
        assert ev.data["created"] == len(SERVERS_COLUMNS)
        assert ev.actor == core.identity.label and ev.actor_user_id == core.user_id


def test_rerun_keeps_decided_rows_and_refreshes_undecided(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    ref = make_import()
    rows = mapping_actions.generate_suggestions(core.uows, tenant, ref.import_id, use_semantic=False).value
    ip = next(r for r in rows if r.source_field == "IP Address")
    mapping_actions.approve(core.uows, tenant, ip.id, ip.version)
    with core.uow(tenant) as uow:  # someone scribbled over an undecided suggestion
        zorg = uow.session.scalars(
            select(ImportFieldMapping).where(
                ImportFieldMapping.data_import_id == ref.import_id,
                ImportFieldMapping.source_field == "Zorglub",
            )
        ).one()
        zorg.explanation = "stale"
        uow.commit()
    again = mapping_actions.generate_suggestions(core.uows, tenant, ref.import_id, use_semantic=False).value
    assert len(again) == len(rows)
    by = {r.source_field: r for r in again}
    assert by["IP Address"].status == "approved" and by["IP Address"].version == 2
    assert by["Zorglub"].explanation != "stale"
    untouched = [r for r in again if r.source_field not in ("IP Address", "Zorglub")]
    assert all(r.version == 1 for r in untouched)  # same suggestion again: no needless version bump
    with core.uow(tenant) as uow:
        assert len(mapping_rows(uow, ref.import_id)) == len(SERVERS_COLUMNS)


def test_suggestions_from_an_ai_crew_are_stored_as_such(
    core: Core, tenant: Tenant, make_import: MakeImport
) -> None:
    from core.mapping.models import FieldMappingSuggestion

    ref = make_import(columns=["Box", "Zorglub"], rows=[["web01", "x"]])
    crew = [
        FieldMappingSuggestion(
            source_field="Box",
            target_field="hostname",
            confidence=0.8,
            match_type="semantic",
            explanation="llm",
        ),
        FieldMappingSuggestion(
            source_field="Zorglub", target_field=None, confidence=0.6, match_type="none", explanation="?"
        ),
    ]
    stored = mapping_actions.store_suggestions(core.uows, tenant, ref.import_id, crew).value
    assert [(r.source_field, r.target_field, r.suggested_by) for r in stored] == [
        ("Box", "hostname", "ai_agent"),
        ("Zorglub", None, "ai_agent"),
    ]
    with pytest.raises(MappingDecisionError):
        mapping_actions.store_suggestions(core.uows, tenant, ref.import_id, crew[:1])
