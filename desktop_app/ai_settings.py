"""The AI model's settings as the desktop app and the CLI read and write them (issue 16).

Read fresh from the settings file each time (the dialog may have changed it since start-up), with
the API key from the OS keyring (`desktop_app.credentials`); `MD_LLM_*` in the environment win
(`core.agents.settings.resolve`). Importing this loads neither crewai nor Qt.
"""

from __future__ import annotations

from pathlib import Path

from core.agents import settings as llm
from core.config import read_settings_file, write_settings_file
from desktop_app import credentials


def current(data_dir: Path) -> llm.LLMSettings:
    """The endpoint to use now: environment, else the settings file; the key from the keyring."""
    values = read_settings_file(data_dir) if data_dir.is_dir() else {}
    resolved = llm.resolve(values)
    if resolved.api_key is None and resolved.base_url:
        resolved = llm.resolve(values, api_key=credentials.load_llm_key(resolved.base_url))
    return resolved


def save(
    data_dir: Path, base_url: str, model: str, api_key: str, mask_pii: bool
) -> credentials.Storage | None:
    """Base URL, model and masking to the settings file; the key to the keyring (never the file)."""
    base = base_url.strip().rstrip("/")
    write_settings_file(
        data_dir,
        {llm.FILE_BASE_URL: base or None, llm.FILE_MODEL: model.strip() or None, llm.FILE_MASK_PII: mask_pii},
    )
    if base and api_key:
        return credentials.store_llm_key(base, api_key)
    return None
