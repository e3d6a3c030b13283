"""The user's preferences: every option declared once, a JSON file, versioned upgrades.

Each option is declared exactly once below (key, type, default, label, the settings version that
introduced it, and its valid values), in the spirit of MusicBrainz Picard's ``options.py``: the
settings panel, validation and the file format are all driven by that one table, so an option
cannot be added in one place and forgotten in another.

The file lives in the platform's config directory (``CSDESK_CONFIG_DIR`` overrides it for tests
and portable installs). A damaged file must never stop the app from starting, nor silently lose
what the user set: the values that are still valid are kept, the bad ones fall back to their
defaults, the original file is moved aside as ``settings.json.corrupt-<timestamp>`` and
:meth:`Settings.load` returns a sentence telling the user what happened.

Only values the user set are written, so a better default in a later release reaches everyone
who never changed it. Keys this build does not know (written by a newer csdesk) are kept as they
are. Tokens and passwords never come here: they go to the system keyring through
:mod:`csdesk.credentials`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import platformdirs

from csdesk.domain.enums import Channel
from csdesk.i18n import N_, _

__all__ = [
    "ANNOUNCEMENT_VERBOSITY",
    "ASSIGN_ON_REPLY",
    "ENV_CONFIG_DIR",
    "FIRST_RUN_HINT_SEEN",
    "FONT_SCALE",
    "INBOX_SORT",
    "INBOX_SORTS",
    "LAST_VIEW",
    "LOCALE",
    "NOTIFICATIONS_ENABLED",
    "ONLY_ON_DEMAND_WHEN_SCREEN_READER",
    "OPTIONS",
    "PANE_WIDTHS",
    "SERVER_URL",
    "SETTINGS_VERSION",
    "SPEAK_INBOUND",
    "SPEAK_SCRIPT_STEPS",
    "SPEAK_SLA_WARNINGS",
    "SPEAK_TRAINING_LINES",
    "SPEECH_ENABLED",
    "SPEECH_RATE",
    "SPEECH_VOICE_ID",
    "SPEECH_VOLUME",
    "THEME",
    "THEMES",
    "TIME_ZONE",
    "UPGRADES",
    "USERNAME",
    "VERSION_KEY",
    "VIEWS",
    "WINDOW_GEOMETRY",
    "Option",
    "Settings",
    "Upgrades",
    "config_dir",
    "default_path",
]

T = TypeVar("T")

#: The format version this build writes. Raise it together with an upgrade step in ``UPGRADES``.
SETTINGS_VERSION = 1
VERSION_KEY = "version"
ENV_CONFIG_DIR = "CSDESK_CONFIG_DIR"
FILE_NAME = "settings.json"


# --- declaring options ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option(Generic[T]):
    """One preference.

    ``label`` is marked with ``N_`` and translated where it is shown. ``since_version`` is the
    settings version that introduced the option, which tells an upgrade step which keys an older
    file cannot have. ``check`` adds a rule the type cannot express and returns the problem as a
    phrase ("must start with http:// or https://"), or ``None`` when the value is fine.
    """

    key: str
    type: type[Any]
    default: T
    label: str
    since_version: int
    nullable: bool = False
    choices: tuple[T, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    check: Callable[[Any], str | None] | None = None

    def validate(self, value: object) -> T:
        """Return ``value`` in this option's type, or raise ``ValueError`` saying what is wrong.

        JSON has one number type, so an integral ``int`` is accepted for a ``float`` option;
        ``bool`` is never accepted as a number even though Python lets it pass as one.
        """
        if value is None:
            if self.nullable:
                return None  # type: ignore[return-value]  # T includes None when nullable
            raise ValueError(f"{self.key} must not be empty")
        result: Any
        if self.type is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{self.key} must be true or false, got {value!r}")
            result = value
        elif self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{self.key} must be a whole number, got {value!r}")
            result = value
        elif self.type is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{self.key} must be a number, got {value!r}")
            result = float(value)
            if not math.isfinite(result):
                raise ValueError(f"{self.key} must be a finite number, got {value!r}")
        elif self.type is str:
            if not isinstance(value, str):
                raise ValueError(f"{self.key} must be text, got {value!r}")
            result = value
        else:  # pragma: no cover - guarded by _declare
            raise TypeError(f"unsupported option type {self.type!r}")
        if self.choices is not None and result not in self.choices:
            allowed = ", ".join(repr(choice) for choice in self.choices)
            raise ValueError(f"{self.key} must be one of {allowed}, got {value!r}")
        if (self.minimum is not None and result < self.minimum) or (
            self.maximum is not None and result > self.maximum
        ):
            raise ValueError(
                f"{self.key} must be between {self.minimum} and {self.maximum}, got {value!r}"
            )
        if self.check is not None:
            problem = self.check(result)
            if problem is not None:
                raise ValueError(f"{self.key} {problem}, got {value!r}")
        return result  # type: ignore[no-any-return]


_SUPPORTED_TYPES = (bool, int, float, str)
_options: dict[str, Option[Any]] = {}

#: Every option by key, in declaration order (the order the settings panel shows them).
OPTIONS: Mapping[str, Option[Any]] = MappingProxyType(_options)


def _declare(option: Option[T]) -> Option[T]:
    """Add ``option`` to the table, refusing the mistakes that would only show up at run time."""
    if option.key in _options or option.key == VERSION_KEY:
        raise ValueError(f"option {option.key!r} is declared twice")
    if option.type not in _SUPPORTED_TYPES:
        raise TypeError(f"option {option.key!r} has unsupported type {option.type!r}")
    if not 1 <= option.since_version <= SETTINGS_VERSION:
        raise ValueError(f"option {option.key!r} has since_version {option.since_version}")
    option.validate(option.default)
    _options[option.key] = option
    return option


def _check_server_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// address"
    if any(char.isspace() for char in value):
        return "must not contain spaces"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password"
    return None


def _check_base64(value: str) -> str | None:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "must be base64 text"
    return None


_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*")


def _check_locale(value: str) -> str | None:
    return None if _LOCALE.fullmatch(value) else "must be a language code such as en or pt_BR"


def _check_username(value: str) -> str | None:
    if len(value) > 120:
        return "must be at most 120 characters"
    if any(not char.isprintable() for char in value):
        return "must not contain control characters"
    return None


THEMES = ("system", "light", "dark", "high_contrast", "high_contrast_dark")
INBOX_SORTS = ("newest", "oldest_waiting", "sla_due", "priority")
VIEWS = (
    "mine",
    "unassigned",
    "all_open",
    *(f"channel:{channel.value}" for channel in Channel),
    "pending",
    "snoozed",
    "resolved",
    "sla_at_risk",
)

SERVER_URL: Option[str | None] = _declare(
    Option("server_url", str, None, N_("Server address"), 1, nullable=True, check=_check_server_url)
)
USERNAME = _declare(Option("username", str, "", N_("User name"), 1, check=_check_username))
THEME = _declare(Option("theme", str, "system", N_("Theme"), 1, choices=THEMES))
FONT_SCALE = _declare(
    Option("font_scale", float, 1.0, N_("Text size"), 1, minimum=1.0, maximum=2.0)
)
SPEECH_ENABLED = _declare(Option("speech_enabled", bool, True, N_("Speak announcements"), 1))
SPEECH_RATE = _declare(
    Option(
        "speech_rate", int, 180, N_("Speech rate (words per minute)"), 1, minimum=80, maximum=400
    )
)
SPEECH_VOLUME = _declare(
    Option("speech_volume", float, 1.0, N_("Speech volume"), 1, minimum=0.0, maximum=1.0)
)
SPEECH_VOICE_ID: Option[str | None] = _declare(
    Option("speech_voice_id", str, None, N_("Voice"), 1, nullable=True)
)
SPEAK_INBOUND = _declare(
    Option(
        "speak_inbound",
        str,
        "mine",
        N_("Speak new messages"),
        1,
        choices=("all", "mine", "none"),
    )
)
SPEAK_SLA_WARNINGS = _declare(Option("speak_sla_warnings", bool, True, N_("Speak SLA warnings"), 1))
SPEAK_SCRIPT_STEPS = _declare(
    Option("speak_script_steps", bool, False, N_("Speak call-script steps"), 1)
)
SPEAK_TRAINING_LINES = _declare(
    Option("speak_training_lines", bool, True, N_("Speak the training customer's lines"), 1)
)
ONLY_ON_DEMAND_WHEN_SCREEN_READER = _declare(
    Option(
        "only_on_demand_when_screen_reader",
        bool,
        True,
        N_("With a screen reader running, speak only when asked"),
        1,
    )
)
ANNOUNCEMENT_VERBOSITY = _declare(
    Option(
        "announcement_verbosity",
        str,
        "full",
        N_("Announcement detail"),
        1,
        choices=("brief", "full"),
    )
)
NOTIFICATIONS_ENABLED = _declare(
    Option("notifications_enabled", bool, True, N_("Desktop notifications"), 1)
)
ASSIGN_ON_REPLY = _declare(
    Option("assign_on_reply", bool, True, N_("Replying to an unassigned conversation takes it"), 1)
)
INBOX_SORT = _declare(
    Option("inbox_sort", str, "sla_due", N_("Sort the inbox by"), 1, choices=INBOX_SORTS)
)
LAST_VIEW = _declare(Option("last_view", str, "mine", N_("Last inbox view"), 1, choices=VIEWS))
WINDOW_GEOMETRY = _declare(
    Option("window_geometry", str, "", N_("Window position and size"), 1, check=_check_base64)
)
LOCALE: Option[str | None] = _declare(
    Option("locale", str, None, N_("Language"), 1, nullable=True, check=_check_locale)
)


# The look (issue 13): pane widths the agent dragged to, kept across sessions.
PANE_NAMES = ("views", "inbox", "customer")


def _check_pane_widths(value: str) -> str | None:
    """``"inbox=420,customer=320"``: known panes, widths 0-4000 px."""
    for part in filter(None, value.split(",")):
        name, _eq, width = part.partition("=")
        if name not in PANE_NAMES or not width.isdigit() or not 0 <= int(width) <= 4000:
            return "must be pane=width pairs, e.g. inbox=420,customer=320"
    return None


PANE_WIDTHS = _declare(
    Option("pane_widths", str, "", N_("Pane widths"), 1, check=_check_pane_widths)
)
FIRST_RUN_HINT_SEEN = _declare(
    Option("first_run_hint_seen", bool, False, N_("Keyboard hint dismissed"), 1)
)


# --- time zone (docs/scheduled-send.md) ---
def _check_time_zone(value: str) -> str | None:
    """An IANA zone name this machine knows ("Europe/Berlin")."""
    from zoneinfo import ZoneInfo

    if len(value) > 64:
        return "must be a time zone name such as Europe/Berlin"
    try:
        ZoneInfo(value)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return "must be a time zone name such as Europe/Berlin"
    return None


#: The agent's time zone for times they choose and read ("Send later…", reminders, the
#: scheduled list); None: the system's.
TIME_ZONE: Option[str | None] = _declare(
    Option("time_zone", str, None, N_("Time zone"), 1, nullable=True, check=_check_time_zone)
)


# --- upgrades -------------------------------------------------------------------------------

Upgrade = Callable[[dict[str, Any]], None]


class Upgrades:
    """Steps that bring an older file's contents to ``target``, one version at a time.

    A step registered for version *n* receives the raw dictionary of a version *n - 1* file
    (without the ``version`` key) and edits it in place: rename a key, convert a value. Steps
    run in order, so each one only has to know its own predecessor, as in Picard's
    ``config_upgrade.py``. A version with nothing to change needs no step.
    """

    def __init__(self, target: int = SETTINGS_VERSION) -> None:
        if target < 1:
            raise ValueError(f"settings version must be at least 1, got {target}")
        self.target = target
        self._steps: dict[int, Upgrade] = {}

    def register(self, to_version: int) -> Callable[[Upgrade], Upgrade]:
        """Decorator: the function upgrades a ``to_version - 1`` file to ``to_version``."""
        if not 2 <= to_version <= self.target:
            raise ValueError(f"an upgrade step must target 2..{self.target}, got {to_version}")
        if to_version in self._steps:
            raise ValueError(f"an upgrade to version {to_version} is already registered")

        def add(step: Upgrade) -> Upgrade:
            self._steps[to_version] = step
            return step

        return add

    def apply(self, data: dict[str, Any], from_version: int) -> None:
        for version in range(from_version + 1, self.target + 1):
            step = self._steps.get(version)
            if step is not None:
                step(data)


#: The real upgrade steps. There are none yet: version 1 is the first format.
UPGRADES = Upgrades()


# --- where the file lives -------------------------------------------------------------------


def config_dir() -> Path:
    """The directory holding ``settings.json``: ``$CSDESK_CONFIG_DIR`` or the platform's."""
    override = os.environ.get(ENV_CONFIG_DIR, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("csdesk", "csdesk"))


def default_path() -> Path:
    return config_dir() / FILE_NAME


# --- the settings object --------------------------------------------------------------------


class Settings:
    """The current values, typed by the :class:`Option` they are read with.

    Built by :meth:`load` (or directly, for tests); changes stay in memory until :meth:`save`.
    Not thread-safe: the GUI thread owns it and hands values to workers.
    """

    def __init__(
        self,
        path: Path,
        values: Mapping[str, Any] | None = None,
        *,
        extra: Mapping[str, Any] | None = None,
        version: int = SETTINGS_VERSION,
    ) -> None:
        self._path = path
        self._values: dict[str, Any] = {}
        self._extra = dict(extra or {})
        self._version = version
        for key, value in (values or {}).items():
            self.set_key(key, value)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def version(self) -> int:
        """The version written on save: ours, or a newer one the file already had."""
        return self._version

    # typed access ---------------------------------------------------------------------------

    def get(self, option: Option[T]) -> T:
        value: T = self._values.get(option.key, option.default)
        return value

    def set(self, option: Option[T], value: T) -> None:
        """Validate and keep ``value``; raise ``ValueError`` (and keep the old one) if invalid."""
        self._values[option.key] = option.validate(value)

    def reset(self, option: Option[Any]) -> None:
        """Forget the user's value, so the default (even a future, better one) applies."""
        self._values.pop(option.key, None)

    def is_set(self, option: Option[Any]) -> bool:
        return option.key in self._values

    # by key, for code driven by the OPTIONS table (the settings panel) ---------------------

    def get_key(self, key: str) -> Any:
        return self.get(_option(key))

    def set_key(self, key: str, value: Any) -> None:
        self.set(_option(key), value)

    # the file --------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """What :meth:`save` writes: the version, unknown keys as found, and the set values."""
        return {VERSION_KEY: self._version, **self._extra, **self._values}

    def save(self) -> None:
        """Write atomically: a crash mid-write leaves the old file, never half a new one."""
        _write_atomically(self._path, json.dumps(self.to_json(), indent=2, ensure_ascii=False))

    @classmethod
    def load(
        cls,
        path: Path | None = None,
        *,
        upgrades: Upgrades = UPGRADES,
        now: datetime | None = None,
    ) -> tuple[Settings, str | None]:
        """Read ``path`` (default: :func:`default_path`); never raises for a bad file.

        Returns the settings and, if something was wrong, a sentence for the user. A missing
        file is the normal first start and gets no sentence.
        """
        path = path if path is not None else default_path()
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path, version=upgrades.target), None
        except OSError as exc:
            notice = _(
                "csdesk could not read your settings file at {path} ({error}) and started "
                "with default settings."
            ).format(path=path, error=exc.strerror or exc)
            return cls(path, version=upgrades.target), notice

        parsed = _parse(raw, upgrades)
        settings = cls(path, version=parsed.version)
        settings._values = parsed.values
        settings._extra = parsed.extra
        if not parsed.is_damaged:
            return settings, None

        backup = _backup_path(path, now or datetime.now(UTC))
        try:
            os.replace(path, backup)
        except OSError as exc:
            notice = _(
                "Your settings file at {path} was damaged and could not be set aside "
                "({error}); csdesk started with defaults for: {keys}"
            ).format(path=path, error=exc.strerror or exc, keys=parsed.damaged_text())
            return settings, notice
        if parsed.whole_file:
            notice = _(
                "Your settings file was damaged; csdesk kept a copy at {backup} and started "
                "with default settings."
            ).format(backup=backup)
        else:
            notice = _(
                "Your settings file was damaged; csdesk kept a copy at {backup} and started "
                "with defaults for: {keys}"
            ).format(backup=backup, keys=parsed.damaged_text())
            # Write the good values back, or the next start (no file any more) would lose them.
            with contextlib.suppress(OSError):  # the app saves again later; the copy has all
                settings.save()
        return settings, notice


def _option(key: str) -> Option[Any]:
    try:
        return OPTIONS[key]
    except KeyError:
        raise KeyError(f"no setting named {key!r}") from None


@dataclass(slots=True)
class _Parsed:
    version: int
    values: dict[str, Any]
    extra: dict[str, Any]
    damaged: list[str]  # keys that fell back to defaults ("version" for a bad version)
    whole_file: bool = False  # unreadable as a whole: everything is a default

    @property
    def is_damaged(self) -> bool:
        return self.whole_file or bool(self.damaged)

    def damaged_text(self) -> str:
        return _("all settings") if self.whole_file else ", ".join(self.damaged)


def _parse(raw: bytes, upgrades: Upgrades) -> _Parsed:
    """Turn the file's bytes into values, keeping every part that is still valid."""
    whole = _Parsed(upgrades.target, {}, {}, [], whole_file=True)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):  # JSONDecodeError is a ValueError
        return whole
    if not isinstance(data, dict):
        return whole

    damaged: list[str] = []
    version = data.pop(VERSION_KEY, 1)  # a file from before versioning is version 1
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        damaged.append(VERSION_KEY)
        version = upgrades.target  # unknown age: run no upgrade rather than a wrong one
    if version < upgrades.target:
        try:
            upgrades.apply(data, version)
        except Exception:  # whatever the step tripped over, this file cannot be trusted
            return whole
        version = upgrades.target

    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        option = OPTIONS.get(key)
        if option is None:
            extra[key] = value
            continue
        try:
            values[key] = option.validate(value)
        except ValueError:
            damaged.append(key)
    return _Parsed(max(version, upgrades.target), values, extra, damaged)


def _backup_path(path: Path, now: datetime) -> Path:
    """``settings.json.corrupt-20250101T120000Z``, numbered if that name is already taken."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 2
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
        number += 1
    return candidate


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
