"""The whole path — our crew → CrewAI → its OpenAI client → HTTP — against the scripted local model."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import select

from core.actions.agents import run_crew
from core.agents import budget
from core.agents.runtime import CrewFailed
from core.agents.settings import LLMSettings
from core.bootstrap import Core
from core.db.models import CrewOutput, FlowEvent, ImportFieldMapping
from core.mapping_review.queries import mapping_rows
from core.progress import CancelToken
from core.uow import Tenant

from .conftest import AI_TARGETS, HEADER, Script
from .scripted_llm import ScriptedLLM


def _loaded(uow, stmt) -> list:
    found = list(uow.session.scalars(stmt))
    for row in found:
        uow.session.expunge(row)  # loaded: readable after the unit of work ends
    return found


def _rows(core: Core, tenant: Tenant, import_id) -> dict[str, ImportFieldMapping]:
    with core.uow(tenant) as uow:
        stmt = select(ImportFieldMapping).where(ImportFieldMapping.data_import_id == import_id)
        return {r.source_field: r for r in _loaded(uow, stmt)}


def _crew_rows(core: Core, tenant: Tenant, flow_id) -> list[CrewOutput]:
    with core.uow(tenant) as uow:
        return _loaded(uow, select(CrewOutput).where(CrewOutput.discovery_flow_id == flow_id))


def _events(core: Core, tenant: Tenant, flow_id, kind: str) -> list[FlowEvent]:
    with core.uow(tenant) as uow:
        stmt = select(FlowEvent).where(FlowEvent.flow_id == flow_id, FlowEvent.event_type == kind)
        return _loaded(uow, stmt)


def test_mapping_crew_stores_ai_suggestions_for_unsure_columns_only(
    core: Core, tenant: Tenant, servers_import, llm_server: ScriptedLLM, llm_settings: LLMSettings
) -> None:
    before = _rows(core, tenant, servers_import.import_id)
    unsure = [c for c, r in before.items() if not r.target_field or r.confidence_score < 0.6]
    assert unsure, "the fixture needs columns the rules are unsure about"
    sure = [c for c in HEADER if c not in unsure]

    outcome = run_crew(core.uows, tenant, servers_import.flow_id, "mapping", llm_settings)

    result = outcome.value
    assert result.to_dict()["crew"] == "mapping" and result.model == "scripted-model"
    assert [t["name"] for t in result.tasks] == ["schema_analysis", "field_mapping"]
    assert all(t["status"] == "completed" and t["tokens"] > 0 for t in result.tasks)
    proposed = [c for c in unsure if AI_TARGETS.get(c)]
    assert result.suggestions == len(proposed) > 0
    after = _rows(core, tenant, servers_import.import_id)
    for column in proposed:
        row = after[column]
        assert (row.suggested_by, row.status) == ("ai_agent", "suggested")
        assert row.target_field == AI_TARGETS[column]
        assert row.suggestion["model"] == "scripted-model" and row.suggestion["reasoning"]
        assert row.explanation.startswith("AI (scripted-model): ")
    for column in sure:  # what the rules were sure about is not even sent for review
        assert after[column].suggested_by == "rules"
        assert after[column].target_field == before[column].target_field
    # the grid's read model says who suggested it
    with core.uow(tenant) as uow:
        grid = {r.source_field: r for r in mapping_rows(uow, servers_import.import_id)}
    assert grid[proposed[0]].suggested_by == "ai_agent"
    # the run is recorded with its cost
    (stored,) = _crew_rows(core, tenant, servers_import.flow_id)
    assert (stored.status, stored.crew, stored.suggestions) == ("completed", "mapping", len(proposed))
    assert stored.requests == len(llm_server.completions()) >= 4  # a tool call and an answer per task
    assert stored.prompt_tokens > 0 and stored.duration_s > 0
    assert stored.endpoint == llm_settings.endpoint
    assert set(stored.output) >= {"schema_analysis", "field_mapping"}
    assert outcome.changes.mappings and servers_import.import_id in outcome.changes.import_ids
    # the schema analysis reached the mapping task as context
    mapping_request = next(r for r in llm_server.completions() if "Field mapping reviewer" in json.dumps(r))
    assert "a small server list" in json.dumps(mapping_request)


def test_a_decided_row_is_never_overwritten(
    core: Core, tenant: Tenant, servers_import, llm_settings: LLMSettings
) -> None:
    from core.actions import mapping as mapping_actions

    before = _rows(core, tenant, servers_import.import_id)
    column = next(c for c in AI_TARGETS if not before[c].target_field or before[c].confidence_score < 0.6)
    row = before[column]
    mapping_actions.reject(core.uows, tenant, row.id, row.version, reason="not needed")
    run_crew(core.uows, tenant, servers_import.flow_id, "mapping", llm_settings)
    after = _rows(core, tenant, servers_import.import_id)[column]
    assert after.status == "rejected"
    assert (after.suggested_by, after.target_field) == (row.suggested_by, row.target_field)


def test_quality_crew_records_findings(
    core: Core, tenant: Tenant, servers_import, llm_settings: LLMSettings
) -> None:
    result = run_crew(core.uows, tenant, servers_import.flow_id, "quality", llm_settings).value
    assert result.findings == 1 and result.suggestions == 0
    (stored,) = _crew_rows(core, tenant, servers_import.flow_id)
    finding = stored.output["data_quality"]["findings"][0]
    assert finding["dimension"] == "completeness" and finding["rows_affected"] == 3
    assert _events(core, tenant, servers_import.flow_id, "crew_completed")
    # what the quality report shows, marked as AI
    from core.queries.agents import ai_findings

    with core.uow(tenant) as uow:
        shown = ai_findings(uow, servers_import.import_id)
    assert shown is not None and shown["model"] == "scripted-model"
    (item,) = shown["findings"]
    assert (item["source"], item["dimension"]) == ("ai_agent", "completeness")


def test_malformed_answer_is_retried_once_then_used(
    core: Core,
    tenant: Tenant,
    servers_import,
    script: Script,
    llm_server: ScriptedLLM,
    llm_settings: LLMSettings,
) -> None:
    script.malformed = 1
    result = run_crew(core.uows, tenant, servers_import.flow_id, "schema", llm_settings).value
    (task,) = result.tasks
    assert task["status"] == "completed" and task["attempts"] == 2
    assert len(llm_server.completions()) == 4  # (a tool call, an answer) twice; nothing converts it
    (stored,) = _crew_rows(core, tenant, servers_import.flow_id)
    assert {c["column"] for c in stored.output["schema_analysis"]["columns"]} == set(HEADER)
    assert stored.prompt_tokens > 0 and stored.requests == 4


def test_no_request_asks_for_a_json_schema_response_format(
    core: Core, tenant: Tenant, servers_import, llm_server: ScriptedLLM, llm_settings: LLMSettings
) -> None:
    """Many OpenAI-compatible servers answer HTTP 400 to a strict json_schema response format."""
    run_crew(core.uows, tenant, servers_import.flow_id, "quality", llm_settings)
    sent = llm_server.completions()
    assert len(sent) == 4
    assert not [r["response_format"] for r in sent if "response_format" in r]
    # the model still learns the shape: the task carries the answer's JSON schema as text
    first_user = next(m["content"] for m in sent[0]["messages"] if m["role"] == "user")
    assert '"SchemaAnalysis"' in first_user and '"key_candidate"' in first_user


def _has_tool_result(request: dict) -> bool:
    return any(m["role"] == "tool" for m in request["messages"])


def test_malformed_twice_is_reported_and_nothing_is_applied(
    core: Core,
    tenant: Tenant,
    servers_import,
    script: Script,
    llm_server: ScriptedLLM,
    llm_settings: LLMSettings,
) -> None:
    script.malformed = 10
    before = _rows(core, tenant, servers_import.import_id)
    with pytest.raises(CrewFailed) as failed:
        run_crew(core.uows, tenant, servers_import.flow_id, "mapping", llm_settings)
    assert failed.value.error_code == "llm_malformed" and failed.value.recovery_hint
    # exactly one retry: the first task's attempt (a tool call, then the answer) and one more, then
    # the report; no converter asks the model again, and the mapping task is never started
    sent = llm_server.completions()
    assert [("tools" in r, _has_tool_result(r)) for r in sent] == [(True, False), (True, True)] * 2
    assert all("Schema analyst" in json.dumps(r["messages"][0]) for r in sent)
    assert not [r["response_format"] for r in sent if "response_format" in r]
    (task, mapping) = failed.value.run.tasks
    assert (task.name, task.status, task.attempts) == ("schema_analysis", "failed", 2)
    assert mapping.status == "pending"
    after = _rows(core, tenant, servers_import.import_id)
    assert {c: (r.target_field, r.suggested_by) for c, r in after.items()} == {
        c: (r.target_field, r.suggested_by) for c, r in before.items()
    }
    (stored,) = _crew_rows(core, tenant, servers_import.flow_id)
    assert stored.status == "failed" and stored.hint and "malformed" in stored.error
    (event,) = _events(core, tenant, servers_import.flow_id, "crew_failed")
    assert event.data["error_code"] == "llm_malformed" and event.data["recovery_hint"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"fail_status": 500}, "llm_http_5xx"),
        ({"delay_s": 3.0}, "llm_timeout"),
        ({"fail_status": 401}, "llm_refused"),
    ],
)
def test_server_failures_go_through_the_error_path(
    core: Core, tenant: Tenant, servers_import, script: Script, llm_server: ScriptedLLM, change, code
) -> None:
    for k, v in change.items():
        setattr(script, k, v)
    settings = LLMSettings(base_url=llm_server.base_url, model="scripted-model", timeout_s=1.0)
    started = time.monotonic()
    with pytest.raises(CrewFailed) as failed:
        run_crew(core.uows, tenant, servers_import.flow_id, "schema", settings)
    assert time.monotonic() - started < 15
    assert failed.value.error_code == code, str(failed.value)
    assert failed.value.recovery_hint
    (stored,) = _crew_rows(core, tenant, servers_import.flow_id)
    assert stored.status == "failed" and stored.error and stored.hint
    (event,) = _events(core, tenant, servers_import.flow_id, "crew_failed")
    assert event.data["error_code"] == code
    assert len(llm_server.completions()) == 1  # no silent retries


def test_cancel_stops_the_http_calls(
    core: Core,
    tenant: Tenant,
    servers_import,
    script: Script,
    llm_server: ScriptedLLM,
    llm_settings: LLMSettings,
) -> None:
    script.delay_s = 30.0
    cancel = CancelToken()
    threading.Thread(
        target=lambda: (_wait_for(lambda: len(llm_server.completions()) >= 1), cancel.cancel()), daemon=True
    ).start()
    started = time.monotonic()
    with pytest.raises(CrewFailed) as failed:
        run_crew(core.uows, tenant, servers_import.flow_id, "mapping", llm_settings, cancel=cancel)
    assert time.monotonic() - started < 10
    assert failed.value.error_code == "cancelled"
    (stored,) = _crew_rows(core, tenant, servers_import.flow_id)
    assert stored.status == "cancelled" and stored.suggestions == 0
    # the crew's thread ends (its request was dropped) and nothing more left after the cancel
    _wait_for(lambda: not [t for t in threading.enumerate() if t.name == "crew-mapping"], timeout=3.0)
    assert not [t for t in threading.enumerate() if t.name == "crew-mapping"]
    assert len(llm_server.completions()) == 1


def _wait_for(condition, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not condition() and time.monotonic() < end:
        time.sleep(0.01)


def test_prompts_stay_within_the_budget_and_carry_no_whole_file(
    core: Core, tenant: Tenant, servers_import, llm_server: ScriptedLLM, llm_settings: LLMSettings
) -> None:
    run_crew(core.uows, tenant, servers_import.flow_id, "quality", llm_settings)
    bodies = [r.body for r in llm_server.requests if r.method == "POST"]
    assert bodies and all(len(b) <= budget.MAX_REQUEST_BYTES for b in bodies)
    everything = b"".join(bodies).decode()
    # 30 server names in the file; the prompts carry at most the bounded sample of them
    sent = {f"srv{i:03d}" for i in range(30) if f"srv{i:03d}" in everything}
    assert 0 < len(sent) <= budget.MAX_SAMPLE_VALUES
    assert all(r.headers.get("authorization") == "Bearer test-key" for r in llm_server.requests)


def test_pii_masking_keeps_addresses_out_of_the_prompts(
    core: Core, tenant: Tenant, servers_import, llm_server: ScriptedLLM, llm_settings: LLMSettings
) -> None:
    from dataclasses import replace

    run_crew(core.uows, tenant, servers_import.flow_id, "schema", replace(llm_settings, mask_pii=True))
    everything = b"".join(r.body for r in llm_server.requests).decode()
    assert "client.example" not in everything and "<email>" in everything
