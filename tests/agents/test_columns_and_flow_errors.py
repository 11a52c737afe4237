"""Issue 16 review: the per-run column cap is visible and choosable (`--column`), the budget hint names
that option, and a crew failure shows on the flow's status (`ai_crew_error`) without failing the flow."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.actions.agents import run_crew
from core.agents import budget
from core.agents.runtime import CrewFailed
from core.agents.settings import LLMSettings
from core.bootstrap import Core
from core.errors import UserInputError
from core.imports import import_file
from core.pipeline import flow_status
from core.uow import Tenant

from .conftest import HEADER, Script, listed_columns
from .scripted_llm import ScriptedLLM
from .test_cli import ROOT, _env


def _wide(path: Path, width: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([f"Attr {i:02d}" for i in range(width)])
        for r in range(5):
            w.writerow([f"v{r}-{i}" for i in range(width)])
    return path


def _asked(llm_server: ScriptedLLM) -> set[str]:
    return {c for r in llm_server.completions() for c in listed_columns(r)}


def test_a_wide_import_says_which_columns_the_cap_left_out(
    core: Core, tenant: Tenant, llm_server: ScriptedLLM, llm_settings: LLMSettings, tmp_path: Path
) -> None:
    width = budget.MAX_COLUMNS + 5
    ref = import_file(core.uows, tenant, _wide(tmp_path / "wide.csv", width))
    result = run_crew(core.uows, tenant, ref.flow_id, "schema", llm_settings).value
    names = [f"Attr {i:02d}" for i in range(width)]
    assert result.columns_reviewed == names[: budget.MAX_COLUMNS]
    assert result.columns_left_out == names[budget.MAX_COLUMNS :]
    cols = result.to_dict()["columns"]
    assert (cols["reviewed"], cols["left_out"], cols["limit"]) == (budget.MAX_COLUMNS, 5, budget.MAX_COLUMNS)
    assert cols["left_out_columns"] == names[budget.MAX_COLUMNS :]
    assert not _asked(llm_server) & set(names[budget.MAX_COLUMNS :])


def test_column_names_the_columns_to_review(
    core: Core, tenant: Tenant, servers_import, llm_server: ScriptedLLM, llm_settings: LLMSettings
) -> None:
    result = run_crew(
        core.uows, tenant, servers_import.flow_id, "schema", llm_settings, columns=["Qzx", "Flurb"]
    ).value
    assert result.columns_reviewed == ["Qzx", "Flurb"]
    assert result.columns_left_out == [c for c in HEADER if c not in ("Qzx", "Flurb")]
    assert _asked(llm_server) <= {"Qzx", "Flurb"} and _asked(llm_server)


def test_an_unknown_or_too_many_columns_are_refused_before_any_request(
    core: Core, tenant: Tenant, servers_import, llm_server: ScriptedLLM, llm_settings: LLMSettings
) -> None:
    with pytest.raises(UserInputError) as unknown:
        run_crew(core.uows, tenant, servers_import.flow_id, "schema", llm_settings, columns=["Flurbb"])
    assert "'Flurbb'" in str(unknown.value) and "Flurb" in (unknown.value.hint or "")
    many = [f"c{i}" for i in range(budget.MAX_COLUMNS + 1)]
    with pytest.raises(UserInputError):
        budget.choose_columns(many, many)
    assert llm_server.completions() == []


def test_the_budget_hint_names_the_column_option(
    core: Core,
    tenant: Tenant,
    servers_import,
    llm_settings: LLMSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(budget, "MAX_REQUEST_BYTES", 200)  # every request is over it
    with pytest.raises(CrewFailed) as failed:
        run_crew(core.uows, tenant, servers_import.flow_id, "schema", llm_settings)
    assert failed.value.error_code == "llm_budget", str(failed.value)
    assert "--column NAME" in (failed.value.recovery_hint or "")
    error = flow_status(core.uows, tenant, servers_import.flow_id)["ai_crew_error"]
    assert error["error_code"] == "llm_budget" and "--column NAME" in error["recovery_hint"]


def test_a_crew_failure_shows_on_the_flow_status_until_the_crew_succeeds(
    core: Core, tenant: Tenant, servers_import, script: Script, llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    settings = LLMSettings(base_url=llm_server.base_url, model="scripted-model", timeout_s=5.0)
    before = flow_status(core.uows, tenant, servers_import.flow_id)
    assert before["ai_crew_error"] is None
    script.fail_status = 500
    with pytest.raises(CrewFailed):
        run_crew(core.uows, tenant, servers_import.flow_id, "quality", settings)

    res = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, "flow", "status",
         str(servers_import.flow_id), "--json"],
        capture_output=True, text=True, env=_env(tmp_path), cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    status = json.loads(res.stdout)
    failure = status["ai_crew_error"]
    assert failure["crew"] == "quality" and failure["error_code"] == "llm_http_5xx"
    assert failure["error_class"] == "retryable" and failure["recovery_hint"] and failure["message"]
    assert failure["blocks_flow"] is False
    # optional advice: the flow itself is neither failed nor blocked
    assert status["error"] is None
    assert (status["status"], status["current_phase"]) == (before["status"], before["current_phase"])
    assert status["actions"] == before["actions"]
    text_run = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, "flow", "status",
         str(servers_import.flow_id)],
        capture_output=True, text=True, env=_env(tmp_path), cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert text_run.returncode == 0, text_run.stderr
    assert "AI quality crew failed (llm_http_5xx" in text_run.stdout and "does not block" in text_run.stdout
    assert failure["recovery_hint"] in text_run.stdout
    # another crew succeeding does not clear it; the same crew succeeding does
    script.fail_status = None
    run_crew(core.uows, tenant, servers_import.flow_id, "schema", settings)
    assert flow_status(core.uows, tenant, servers_import.flow_id)["ai_crew_error"]["crew"] == "quality"
    run_crew(core.uows, tenant, servers_import.flow_id, "quality", settings)
    assert flow_status(core.uows, tenant, servers_import.flow_id)["ai_crew_error"] is None


def test_agents_run_column_option_and_json_columns(
    core: Core, servers_import, llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    env = _env(
        tmp_path, MD_LLM_BASE_URL=llm_server.base_url, MD_LLM_MODEL="scripted-model", MD_LLM_API_KEY="k"
    )
    res = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, "agents", "run",
         str(servers_import.flow_id), "--crew", "quality", "--column", "Flurb", "--column", "Qzx", "--json"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert {"crew", "model", "tasks", "suggestions", "findings"} <= set(data)
    assert data["columns"]["reviewed_columns"] == ["Flurb", "Qzx"]
    assert data["columns"]["left_out"] == len(HEADER) - 2
    text = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--database-url", core.db.app_url, "agents", "run",
         str(servers_import.flow_id), "--crew", "schema", "--column", "Flurb"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "reviewed 1 column(s), left out 3" in text.stdout and "--column NAME" in text.stdout


def test_mapping_column_keeps_a_decided_column_and_reviews_a_named_sure_one(
    core: Core, tenant: Tenant, servers_import, llm_server: ScriptedLLM, llm_settings: LLMSettings
) -> None:
    from core.actions import mapping as mapping_actions
    from core.mapping_review.queries import mapping_rows

    with core.uow(tenant) as uow:
        grid = {r.source_field: r for r in mapping_rows(uow, servers_import.import_id)}
    decided = grid["Qzx"]
    mapping_actions.reject(core.uows, tenant, decided.id, decided.version, reason="not needed")
    result = run_crew(
        core.uows, tenant, servers_import.flow_id, "mapping", llm_settings, columns=["Server Name", "Qzx"]
    ).value
    assert result.columns_reviewed == ["Server Name"]  # named, so reviewed although the rules are sure
    assert result.skipped_decided == ["Qzx"] and "Qzx" not in _asked(llm_server)
    assert result.to_dict()["columns"]["kept_decided_columns"] == ["Qzx"]
