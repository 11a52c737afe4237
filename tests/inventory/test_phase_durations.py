"""Issue 12.3: a phase's duration is its own work, not the wait before it was run."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core.actions import mapping as mapping_actions
from core.bootstrap import Core
from core.db.models import DataImport
from core.flows import flow_timeline
from core.imports import import_file
from core.pipeline import run_flow
from core.uow import Tenant


def test_durations_count_the_phase_work_not_the_wait(core: Core, tenant: Tenant, tmp_path: Path) -> None:
    path = tmp_path / "servers.csv"
    path.write_text("Hostname,IP Address\n" + "".join(f"h{i},10.0.0.{i % 250}\n" for i in range(300)))
    made = import_file(core.uows, tenant, path)
    mapping_actions.generate_suggestions(core.uows, tenant, made.import_id, use_semantic=False)
    mapping_actions.finish_mapping(core.uows, tenant, made.import_id, auto=True)
    # the consultant looked at the timeline for an hour before running cleansing
    with core.db.admin_sessions()() as s, s.begin():
        s.execute(
            text(
                "UPDATE flow_events SET occurred_at = occurred_at - interval '1 hour'"
                " WHERE flow_id = :f AND event_type = 'phase_advanced' AND data->>'to' = 'data_cleansing'"
            ),
            {"f": made.flow_id},
        )
    run_flow(core.uows, tenant, made.flow_id, through="data_cleansing")
    with core.uow(tenant) as uow:
        timeline = {p["phase"]: p for p in flow_timeline(uow, made.flow_id)["phases"]}
        imp = uow.session.get(DataImport, made.import_id)
        assert imp is not None
        import_seconds = imp.import_metadata["seconds"]
    cleansing = timeline["data_cleansing"]["duration_seconds"]
    assert cleansing is not None and 0 <= cleansing < 600  # not the hour it waited
    assert import_seconds > 0 and timeline["data_import"]["duration_seconds"] == round(import_seconds, 3)
