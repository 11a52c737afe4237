"""Fixtures for the crew tests: an import made through the real import, and a scripted model.

The scripted model behaves like a small, obedient LLM: on a task's first turn it calls a tool
(when the request offers tools), then answers the task's JSON — built from the column names the
task's text lists, so it only names columns it was asked about. Tests change its answers
(`Script`) to make it malformed, slow or failing.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.agents.settings import LLMSettings
from core.bootstrap import Core
from core.imports import import_file
from core.uow import Tenant

from .scripted_llm import Reply, ScriptedLLM

pytest.importorskip("crewai", reason="the AI crews need the [ai] extra (python dev.py test installs it)")

HEADER = ["Server Name", "Flurb", "Qzx", "Owner Mail"]
# what the scripted mapping agent proposes for the columns the rules left to review
AI_TARGETS = {"Flurb": "operating_system", "Qzx": "memory_gb", "Owner Mail": "business_owner"}
ROWS = 30


def write_servers(path: Path) -> Path:
    oses = ["Windows Server 2019", "RHEL 8.6", "Ubuntu 22.04"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(ROWS):
            w.writerow([f"srv{i:03d}", oses[i % 3], str(8 * (1 + i % 4)), f"owner{i}@client.example"])
    return path


_LISTED = re.compile(r"^- '([^']+)':", re.MULTILINE)


def listed_columns(request: dict[str, Any]) -> list[str]:
    user = next((m.get("content") or "" for m in request["messages"] if m["role"] == "user"), "")
    return _LISTED.findall(user)


def role_of(request: dict[str, Any]) -> str:
    system = next((m.get("content") or "" for m in request["messages"] if m["role"] == "system"), "")
    for role in ("Schema analyst", "Data quality analyst", "Field mapping reviewer"):
        if role in system:
            return role
    return "?"


def answer_for(request: dict[str, Any]) -> str:
    role = role_of(request)
    columns = listed_columns(request)
    if role == "Schema analyst":
        return json.dumps(
            {
                "columns": [
                    {
                        "column": c,
                        "inferred_type": "string",
                        "key_candidate": c == "Server Name",
                        "observations": [f"{c} is filled"],
                        "challenges": [],
                    }
                    for c in columns
                ],
                "summary": "a small server list",
            }
        )
    if role == "Data quality analyst":
        user = next(m["content"] for m in request["messages"] if m["role"] == "user")
        named = re.search(r"Columns: (.*)", user)
        first = re.findall(r"'([^']+)'", named.group(1))[0] if named else None
        return json.dumps(
            {
                "findings": [
                    {
                        "column": first,
                        "dimension": "completeness",
                        "severity": "medium",
                        "rows_affected": 3,
                        "description": "three owners missing",
                        "recommendation": "ask the client for the owners",
                    }
                ],
                "summary": "mostly clean",
            }
        )
    return json.dumps(
        {
            "proposals": [
                {
                    "column": c,
                    "target_field": AI_TARGETS.get(c),
                    "confidence": 0.7,
                    "reasoning": f"the values of {c} look like {AI_TARGETS.get(c)}",
                }
                for c in columns
            ]
        }
    )


@dataclass
class Script:
    """The scripted model's behaviour; tests flip its switches."""

    malformed: int = 0  # answer this many final answers with non-JSON
    fail_status: int | None = None  # answer every completion with this HTTP status
    delay_s: float = 0.0  # before every completion
    tools: bool = True  # call a tool on a task's first turn
    answers: list[str] = field(default_factory=list)

    def __call__(self, request: dict[str, Any]) -> Reply:
        if self.fail_status:
            return Reply(status=self.fail_status, error="scripted server error")
        messages = request["messages"]
        has_tool_result = any(m["role"] == "tool" for m in messages)
        if self.tools and request.get("tools") and not has_tool_result:
            name = request["tools"][0]["function"]["name"]
            columns = listed_columns(request) or ["Server Name"]
            args = {"query": "operating system"} if name == "target_schema" else {"column": columns[0]}
            return Reply(tool_calls=[(name, args)], delay_s=self.delay_s)
        if self.malformed > 0:
            self.malformed -= 1
            return Reply(content="Sure! The columns look fine to me.", delay_s=self.delay_s)
        text = answer_for(request)
        self.answers.append(text)
        return Reply(content=text, delay_s=self.delay_s)


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def llm_server(script: Script) -> Iterator[ScriptedLLM]:
    with ScriptedLLM(script) as server:
        yield server


@pytest.fixture
def llm_settings(llm_server: ScriptedLLM) -> LLMSettings:
    return LLMSettings(base_url=llm_server.base_url, model="scripted-model", api_key="test-key", timeout_s=10)


@pytest.fixture
def servers_import(core: Core, tenant: Tenant, tmp_path: Path) -> Any:
    """A fresh import of the server list, with its rules suggestions."""
    return import_file(core.uows, tenant, write_servers(tmp_path / "servers.csv"))


Settings = Callable[..., LLMSettings]
