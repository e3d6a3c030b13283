"""Settings: the option table, validation, damaged files, atomic saves and upgrades."""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
import pytest

from csdesk import credentials, settings
from csdesk.settings import (
    FONT_SCALE,
    INBOX_SORT,
    LAST_VIEW,
    LOCALE,
    OPTIONS,
    SERVER_URL,
    SETTINGS_VERSION,
    SPEAK_INBOUND,
    SPEECH_ENABLED,
    SPEECH_RATE,
    SPEECH_VOLUME,
    THEME,
    USERNAME,
    WINDOW_GEOMETRY,
    Option,
    Settings,
    Upgrades,
    config_dir,
    default_path,
)
from tests.helpers.keyrings import MemoryKeyring

NOW = datetime(2025, 3, 10, 12, 30, 5, tzinfo=UTC)
STAMP = "20250310T123005Z"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "settings.json"


def write(path: Path, content: Any) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    path.write_bytes(raw)
    return raw


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# --- the option table ------------------------------------------------------------------------


def test_table_is_consistent() -> None:
    assert list(OPTIONS) == [option.key for option in OPTIONS.values()]
    for option in OPTIONS.values():
        assert option.validate(option.default) == option.default
        assert 1 <= option.since_version <= SETTINGS_VERSION
        assert option.label.strip()
        assert option.key != settings.VERSION_KEY


def test_brief_options_are_declared() -> None:
    expected = {
        "server_url",
        "username",
        "theme",
        "font_scale",
        "speech_enabled",
        "speech_rate",
        "speech_volume",
        "speech_voice_id",
        "speak_inbound",
        "speak_sla_warnings",
        "speak_script_steps",
        "speak_training_lines",
        "only_on_demand_when_screen_reader",
        "announcement_verbosity",
        "notifications_enabled",
        "inbox_sort",
        "last_view",
        "window_geometry",
        "locale",
        "pane_widths",
        "first_run_hint_seen",
    }
    assert expected <= set(OPTIONS)


def test_no_option_can_hold_a_secret() -> None:
    for key in OPTIONS:
        assert not any(word in key for word in ("token", "password", "secret")), key


def test_declaring_a_key_twice_is_refused() -> None:
    before = dict(OPTIONS)
    with pytest.raises(ValueError, match="declared twice"):
        settings._declare(Option("theme", str, "dark", "Theme", 1))
    with pytest.raises(ValueError, match="declared twice"):
        settings._declare(Option("version", int, 1, "Version", 1))
    assert dict(OPTIONS) == before


def test_a_bad_default_is_refused_at_declaration() -> None:
    with pytest.raises(ValueError):
        settings._declare(Option("zz_bad", int, 5, "Bad", 1, minimum=10))
    assert "zz_bad" not in OPTIONS


def test_choices_match_the_rest_of_the_app() -> None:
    from csdesk.app.inbox import ALL_VIEWS, Sort
    from csdesk.theme.themes import THEMES

    assert set(settings.VIEWS) == {str(view) for view in ALL_VIEWS}
    assert set(settings.INBOX_SORTS) == {str(sort) for sort in Sort}
    assert set(settings.THEMES) == {"system", *THEMES}


# --- typed access and validation -------------------------------------------------------------


def test_defaults_and_typed_get_set(path: Path) -> None:
    s = Settings(path)
    assert s.get(THEME) == "system"
    assert s.get(FONT_SCALE) == 1.0
    assert s.get(SERVER_URL) is None
    s.set(THEME, "high_contrast_dark")
    s.set(FONT_SCALE, 2)  # an int is a fine float
    assert s.get(THEME) == "high_contrast_dark"
    assert s.get(FONT_SCALE) == 2.0
    assert isinstance(s.get(FONT_SCALE), float)
    assert s.is_set(THEME)
    s.reset(THEME)
    assert not s.is_set(THEME)
    assert s.get(THEME) == "system"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (THEME, "blue", r"theme must be one of 'system', 'light'"),
        (FONT_SCALE, 2.5, r"font_scale must be between 1.0 and 2.0, got 2.5"),
        (FONT_SCALE, 0.99, r"font_scale must be between"),
        (FONT_SCALE, True, r"font_scale must be a number"),
        (FONT_SCALE, "1.5", r"font_scale must be a number"),
        (FONT_SCALE, math.inf, r"font_scale must be a finite number"),
        (SPEECH_RATE, 1.5, r"speech_rate must be a whole number"),
        (SPEECH_RATE, 1000, r"speech_rate must be between 80"),
        (SPEECH_VOLUME, -0.1, r"speech_volume must be between 0.0 and 1.0"),
        (SPEECH_ENABLED, 1, r"speech_enabled must be true or false"),
        (SPEAK_INBOUND, "some", r"speak_inbound must be one of 'all', 'mine', 'none'"),
        (THEME, None, r"theme must not be empty"),
        (USERNAME, 5, r"username must be text"),
        (USERNAME, "a\x00b", r"username must not contain control characters"),
        (SERVER_URL, "ftp://desk.example.com", r"server_url must be an http"),
        (SERVER_URL, "desk.example.com", r"server_url must be an http"),
        (SERVER_URL, "https://ann:pw@desk.example.com", r"must not contain a user name"),
        (SERVER_URL, "https://desk example.com", r"must not contain spaces"),
        (WINDOW_GEOMETRY, "not base64!", r"window_geometry must be base64"),
        (LOCALE, "english please", r"locale must be a language code"),
        (LAST_VIEW, "channel:fax", r"last_view must be one of"),
        (INBOX_SORT, "alphabetical", r"inbox_sort must be one of"),
    ],
)
def test_invalid_values_are_refused_with_a_clear_message(
    path: Path, option: Option[Any], value: Any, message: str
) -> None:
    s = Settings(path)
    before = s.get(option)
    with pytest.raises(ValueError, match=message):
        s.set(option, value)
    assert s.get(option) == before
    assert not s.is_set(option)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        (SERVER_URL, "https://desk.example.com:8443/cs"),
        (SERVER_URL, "http://localhost:8000"),
        (SERVER_URL, None),
        (LOCALE, "pt_BR"),
        (LOCALE, "de-DE"),
        (LOCALE, None),
        (WINDOW_GEOMETRY, "AdnQywADAAA="),
        (LAST_VIEW, "channel:whatsapp"),
        (FONT_SCALE, 1.0),
        (FONT_SCALE, 2.0),
    ],
)
def test_valid_values_are_kept(path: Path, option: Option[Any], value: Any) -> None:
    s = Settings(path)
    s.set(option, value)
    assert s.get(option) == value


def test_by_key_access(path: Path) -> None:
    s = Settings(path)
    s.set_key("theme", "dark")
    assert s.get_key("theme") == "dark"
    with pytest.raises(KeyError, match="no setting named 'colour'"):
        s.set_key("colour", "red")
    with pytest.raises(KeyError):
        s.get_key("token")


def test_constructor_validates(path: Path) -> None:
    with pytest.raises(ValueError):
        Settings(path, {"font_scale": 9})


# --- loading and saving ----------------------------------------------------------------------


def test_missing_file_gives_defaults_without_notice(path: Path) -> None:
    s, notice = Settings.load(path)
    assert notice is None
    assert s.get(THEME) == "system"
    assert not path.exists()  # nothing written until something changes


def test_round_trip_writes_only_what_was_set(path: Path) -> None:
    s = Settings(path)
    s.set(THEME, "dark")
    s.set(FONT_SCALE, 1.25)
    s.set(SERVER_URL, "https://desk.example.com")
    s.set(LOCALE, None)  # explicitly "system language"
    s.save()
    assert read(path) == {
        "version": SETTINGS_VERSION,
        "theme": "dark",
        "font_scale": 1.25,
        "server_url": "https://desk.example.com",
        "locale": None,
    }
    loaded, notice = Settings.load(path)
    assert notice is None
    assert loaded.to_json() == s.to_json()
    assert loaded.get(FONT_SCALE) == 1.25


def test_save_creates_the_directory_and_leaves_no_temp_files(path: Path) -> None:
    Settings(path).save()
    assert read(path) == {"version": SETTINGS_VERSION}
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_save_is_atomic(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings(path)
    s.set(THEME, "light")
    s.save()
    original = path.read_bytes()

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    s.set(THEME, "dark")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        s.save()
    assert path.read_bytes() == original
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_unknown_keys_are_preserved_and_not_reported(path: Path) -> None:
    write(path, {"version": 1, "theme": "dark", "future_option": {"a": [1, 2]}})
    s, notice = Settings.load(path)
    assert notice is None
    s.set(FONT_SCALE, 1.5)
    s.save()
    assert read(path) == {
        "version": 1,
        "theme": "dark",
        "font_scale": 1.5,
        "future_option": {"a": [1, 2]},
    }


def test_file_without_version_is_version_one(path: Path) -> None:
    write(path, {"theme": "light"})
    s, notice = Settings.load(path)
    assert notice is None
    assert s.get(THEME) == "light"
    assert s.version == SETTINGS_VERSION


def test_newer_file_version_is_kept(path: Path) -> None:
    write(path, {"version": SETTINGS_VERSION + 3, "theme": "dark"})
    s, notice = Settings.load(path)
    assert notice is None
    assert s.get(THEME) == "dark"
    s.save()
    assert read(path)["version"] == SETTINGS_VERSION + 3


def test_default_path_honours_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(settings.ENV_CONFIG_DIR, str(tmp_path / "portable"))
    assert config_dir() == tmp_path / "portable"
    assert default_path() == tmp_path / "portable" / "settings.json"
    Settings.load()[0].save()
    assert (tmp_path / "portable" / "settings.json").is_file()
    monkeypatch.delenv(settings.ENV_CONFIG_DIR)
    assert config_dir() == Path(platformdirs.user_config_dir("csdesk", "csdesk"))


# --- damaged files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b'{"theme": "dark",', b"\xff\xfe not utf-8", b"[1, 2, 3]", b"", b'"just a string"'],
)
def test_unreadable_file_gives_defaults_and_keeps_a_copy(path: Path, content: bytes) -> None:
    write(path, content)
    s, notice = Settings.load(path, now=NOW)
    backup = path.with_name(f"settings.json.corrupt-{STAMP}")
    assert backup.read_bytes() == content
    assert s.to_json() == {"version": SETTINGS_VERSION}
    assert notice is not None
    assert str(backup) in notice
    assert "default settings" in notice
    assert not path.exists()  # nothing worth writing back


def test_partly_wrong_file_keeps_the_good_keys(path: Path) -> None:
    original = write(
        path,
        {
            "version": 1,
            "username": "ann",
            "theme": 5,
            "font_scale": 3.0,
            "speech_enabled": "yes",
            "speech_volume": 0.5,
            "future_option": True,
        },
    )
    s, notice = Settings.load(path, now=NOW)
    assert s.get(USERNAME) == "ann"
    assert s.get(SPEECH_VOLUME) == 0.5
    assert s.get(THEME) == "system"
    assert s.get(FONT_SCALE) == 1.0
    assert s.get(SPEECH_ENABLED) is True
    backup = path.with_name(f"settings.json.corrupt-{STAMP}")
    assert backup.read_bytes() == original
    assert notice == (
        f"Your settings file was damaged; csdesk kept a copy at {backup} and started with "
        "defaults for: theme, font_scale, speech_enabled"
    )
    # The repaired file is written at once, so the next start neither loses "ann" nor repeats
    # the notice.
    assert read(path) == {
        "version": 1,
        "username": "ann",
        "speech_volume": 0.5,
        "future_option": True,
    }
    again, second_notice = Settings.load(path, now=NOW)
    assert second_notice is None
    assert again.get(USERNAME) == "ann"


def test_nan_from_json_is_out_of_range(path: Path) -> None:
    write(path, b'{"font_scale": NaN, "theme": "dark"}')
    s, notice = Settings.load(path, now=NOW)
    assert s.get(FONT_SCALE) == 1.0
    assert s.get(THEME) == "dark"
    assert notice is not None and notice.endswith("defaults for: font_scale")


@pytest.mark.parametrize("version", ["2", 0, -1, True, 1.5, None])
def test_bad_version_is_reported(path: Path, version: Any) -> None:
    write(path, {"version": version, "theme": "dark"})
    s, notice = Settings.load(path, now=NOW)
    assert s.get(THEME) == "dark"
    assert notice is not None and notice.endswith("defaults for: version")
    assert read(path)["version"] == SETTINGS_VERSION


def test_backup_names_do_not_collide(path: Path) -> None:
    first = path.with_name(f"settings.json.corrupt-{STAMP}")
    write(first, b"older damage")
    write(path, b"{{{")
    _, notice = Settings.load(path, now=NOW)
    second = path.with_name(f"settings.json.corrupt-{STAMP}-2")
    assert first.read_bytes() == b"older damage"
    assert second.read_bytes() == b"{{{"
    assert notice is not None and str(second) in notice


def test_unreadable_path_gives_defaults_and_a_notice(path: Path) -> None:
    path.mkdir(parents=True)  # a directory where the file should be
    s, notice = Settings.load(path)
    assert s.get(THEME) == "system"
    assert notice is not None and "could not read your settings file" in notice
    assert path.is_dir()


def test_damaged_file_that_cannot_be_moved_is_still_reported(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(path, {"theme": "neon", "username": "ann"})

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    s, notice = Settings.load(path, now=NOW)
    assert s.get(USERNAME) == "ann"
    assert notice is not None
    assert "could not be set aside" in notice and "theme" in notice


# --- upgrades --------------------------------------------------------------------------------


def make_upgrades() -> Upgrades:
    """A three-version history, as a later release might have."""
    upgrades = Upgrades(target=3)

    @upgrades.register(2)
    def rename_colour_scheme(data: dict[str, Any]) -> None:
        if "colour_scheme" in data:
            data["theme"] = data.pop("colour_scheme")

    @upgrades.register(3)
    def percent_to_factor(data: dict[str, Any]) -> None:
        if isinstance(data.get("text_percent"), int):
            data["font_scale"] = data.pop("text_percent") / 100

    return upgrades


def test_upgrades_run_in_order_from_the_file_version(path: Path) -> None:
    write(path, {"version": 1, "colour_scheme": "dark", "text_percent": 150})
    s, notice = Settings.load(path, upgrades=make_upgrades())
    assert notice is None
    assert s.get(THEME) == "dark"
    assert s.get(FONT_SCALE) == 1.5
    assert s.version == 3
    s.save()
    assert read(path) == {"version": 3, "theme": "dark", "font_scale": 1.5}


def test_only_later_steps_run(path: Path) -> None:
    # A version-2 file already renamed its key; a stray old name must not be renamed again.
    write(path, {"version": 2, "theme": "light", "colour_scheme": "dark", "text_percent": 200})
    s, _ = Settings.load(path, upgrades=make_upgrades())
    assert s.get(THEME) == "light"
    assert s.get(FONT_SCALE) == 2.0


def test_current_file_runs_no_step(path: Path) -> None:
    write(path, {"version": 3, "text_percent": 200})
    s, notice = Settings.load(path, upgrades=make_upgrades())
    assert notice is None
    assert s.get(FONT_SCALE) == 1.0
    assert s.to_json()["text_percent"] == 200  # unknown at v3, so kept as found


def test_failing_upgrade_means_defaults_and_a_copy(path: Path) -> None:
    upgrades = Upgrades(target=2)

    @upgrades.register(2)
    def explode(data: dict[str, Any]) -> None:
        raise KeyError("missing")

    raw = write(path, {"version": 1, "theme": "dark"})
    s, notice = Settings.load(path, upgrades=upgrades, now=NOW)
    assert s.get(THEME) == "system"
    assert path.with_name(f"settings.json.corrupt-{STAMP}").read_bytes() == raw
    assert notice is not None and "default settings" in notice


def test_upgrade_registration_rules() -> None:
    upgrades = Upgrades(target=3)
    upgrades.register(2)(lambda data: None)
    with pytest.raises(ValueError, match="already registered"):
        upgrades.register(2)
    for bad in (1, 4):
        with pytest.raises(ValueError, match="must target"):
            upgrades.register(bad)
    with pytest.raises(ValueError):
        Upgrades(target=0)


def test_shipped_upgrades_target_this_version() -> None:
    assert settings.UPGRADES.target == SETTINGS_VERSION


# --- secrets stay out ------------------------------------------------------------------------


def test_token_never_lands_in_the_settings_file(path: Path) -> None:
    token = "tok-3f9a8c1d2e7b"
    store = MemoryKeyring()
    s = Settings(path)
    s.set(SERVER_URL, "https://desk.example.com")
    s.set(USERNAME, "ann")
    credentials.store_token(s.get(SERVER_URL) or "", s.get(USERNAME), token, backend=store)
    s.save()
    assert token not in path.read_text(encoding="utf-8")
    assert token in store.entries.values()
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]
