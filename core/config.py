"""Where the database is and who is acting, from CLI options, environment and local settings.

Precedence: explicit option > environment (`MD_DATABASE_URL`, `MD_DATA_DIR`, `MD_USER`) >
settings file in the data directory > defaults (embedded server in the platform's data dir).
"""

from __future__ import annotations

import getpass
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from core.errors import ConfigurationError

APP_NAME = "migration-discovery"
SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class Identity:
    """The consultant acting: shown on every decision and event."""

    display_name: str
    email: str

    @property
    def label(self) -> str:
        return f"{self.display_name} <{self.email}>"


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one process."""

    data_dir: Path
    database_url: str | None = None
    identity: Identity | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def settings_path(self) -> Path:
        return self.data_dir / SETTINGS_FILE


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


_USER_RE = re.compile(r"^\s*(?P<name>[^<]+?)\s*<(?P<email>[^>]+)>\s*$")


def parse_identity(text: str) -> Identity:
    """Parse `Name <email>`, a bare e-mail, or a bare name (`MD_USER`)."""
    text = text.strip()
    if not text:
        raise ConfigurationError("MD_USER is empty", hint="set it to 'Full Name <email>'")
    m = _USER_RE.match(text)
    if m:
        return Identity(m["name"], m["email"].strip().lower())
    if "@" in text:
        return Identity(text.split("@", 1)[0], text.lower())
    slug = re.sub(r"[^a-z0-9._-]+", ".", text.lower()).strip(".") or "consultant"
    return Identity(text, f"{slug}@localhost")


def read_settings_file(data_dir: Path) -> dict[str, object]:
    path = data_dir / SETTINGS_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot read settings ({exc})", file=str(path), hint="fix or delete the file"
        ) from exc
    return data if isinstance(data, dict) else {}


def write_settings_file(data_dir: Path, values: dict[str, object]) -> None:
    """Merge `values` into the settings file. Never stores passwords (those go to the keyring)."""
    if any("password" in k.lower() for k in values):
        raise ValueError("passwords are never written to the settings file")
    current = read_settings_file(data_dir)
    current.update(values)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = data_dir / (SETTINGS_FILE + ".tmp")
    tmp.write_text(json.dumps(current, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(data_dir / SETTINGS_FILE)


def load_settings(database_url: str | None = None, data_dir: str | Path | None = None) -> Settings:
    """Resolve settings from options, environment and the settings file."""
    raw_dir = data_dir or os.environ.get("MD_DATA_DIR") or None
    resolved_dir = Path(raw_dir).expanduser() if raw_dir else default_data_dir()
    file_values = read_settings_file(resolved_dir) if resolved_dir.is_dir() else {}
    url = database_url or os.environ.get("MD_DATABASE_URL") or file_values.get("database_url") or None
    identity: Identity | None = None
    if os.environ.get("MD_USER"):
        identity = parse_identity(os.environ["MD_USER"])
    elif file_values.get("user_name") and file_values.get("user_email"):
        identity = Identity(str(file_values["user_name"]), str(file_values["user_email"]))
    return Settings(
        data_dir=resolved_dir,
        database_url=str(url) if url else None,
        identity=identity,
        extra=file_values,
    )


def fallback_identity() -> Identity:
    """The OS login, used by scripts when no consultant identity was configured."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "consultant"
    return Identity(login, f"{login}@localhost")
