"""The macro editor's checks and favourite keys (app/macro_editing.py, docs/macros.md): every
problem names its field; pinned keys win, the free ones go by use."""

from __future__ import annotations

from csdesk.app.macro_editing import (
    CannedRef,
    EditorData,
    MacroDraft,
    check,
    key_map,
    split_tags,
)

DATA = EditorData(
    may_share=False,
    my_team=None,
    canned=(CannedRef("c1", "/refund", "en", "Refunded, {first_name}.", "Refund"),),
    users=(),
    teams=(),
    pinned={"m-spam": 3},
    titles={"m-spam": "Close as spam"},
)


def messages(draft: MacroDraft) -> list[str]:
    return [p.message for p in check(draft, {"/refund"}, DATA)]


def test_an_empty_macro_says_name_and_actions() -> None:
    found = check(MacroDraft("  ", ()), {"/refund"}, DATA)
    assert [p.where for p in found] == ["name", "actions"]
    assert found[0].message.startswith("Name:")
    assert found[1].message.startswith("Actions: add at least one action")


def test_unknown_placeholder_named_with_its_action() -> None:
    draft = MacroDraft(
        "Thanks",
        (
            {"kind": "tags", "add": ["vip"], "remove": []},
            {"kind": "note", "text": "Hi {fist_name} and {first_name}"},
        ),
    )
    found = check(draft, {"/refund"}, DATA)
    assert len(found) == 1 and found[0].where == "action" and found[0].index == 1
    assert found[0].message == (
        "Action 2 (Add an internal note): unknown placeholder {fist_name}; "
        "use one from the placeholder list."
    )


def test_reply_canned_missing_empty_tags_and_snooze_with_status() -> None:
    draft = MacroDraft(
        "Mixed",
        (
            {"kind": "reply", "canned": "/gone"},
            {"kind": "tags", "add": [], "remove": []},
            {"kind": "status", "status": "resolved"},
            {"kind": "snooze", "hours": 24},
        ),
    )
    assert messages(draft) == [
        "Actions: a macro either snoozes or sets a status, not both; remove one.",
        "Action 1 (Send a reply): the canned response /gone does not exist.",
        "Action 2 (Add or remove tags): name a tag to add or to remove.",
    ]
    ok = MacroDraft("Fine", ({"kind": "reply", "canned": "/refund"},))
    assert messages(ok) == []


def test_favourite_key_taken_by_another_macro_is_refused() -> None:
    draft = MacroDraft("New", ({"kind": "status", "status": "open"},), favourite=3)
    assert messages(draft) == [
        "Favourite key: Ctrl+Alt+3 is already the key of “Close as spam”; "
        "choose another or take it off that macro first."
    ]
    same = MacroDraft("Spam", draft.actions, macro_id="m-spam", favourite=3)
    assert messages(same) == []


def test_key_map_pinned_first_then_by_use() -> None:
    order = [f"m{n}" for n in range(12)]  # most used first
    keys = key_map(order, {"m10": 1, "m4": 2, "gone": 5})
    assert keys["m10"] == 1 and keys["m4"] == 2
    assert [keys[m] for m in ("m0", "m1", "m2", "m3", "m5")] == [3, 4, 5, 6, 7]
    assert len(keys) == 9 and "m11" not in keys


def test_split_tags() -> None:
    assert split_tags(" refund, vip ,refund,, ") == ["refund", "vip"]


def test_the_manager_names_the_team_a_macro_is_shared_with() -> None:
    """A macro shared with another team read "My team" in a supervisor's manager."""
    from csdesk.app.macro_editing import MacroRow
    from csdesk.ui.panels.macro_manager import row_text

    team = MacroRow("m1", "Late parcel", "team", (), 3, True, None, False, "t2", "Returns")
    mine = MacroRow("m2", "Thanks", "personal", (), 1, True, 2, True)
    assert row_text(team) == "Late parcel · Team Returns · used 3 times"
    assert row_text(mine) == "Thanks · Only me · used once · Ctrl+Alt+2"


def test_control_characters_are_named_before_the_server_refuses() -> None:
    """A pasted ESC or BEL passed the editor's checks; the server refused the macro, which
    appeared on the desk, was rolled back, and the edit was lost."""
    draft = MacroDraft(
        "Refund\x1b done",
        (
            {"kind": "reply", "text": "Your refund is on its way\x07"},
            {"kind": "tags", "add": ["vip\x0b"], "remove": []},
            {"kind": "note", "text": "Line one\nline two\ttabbed"},  # new lines and tabs are fine
        ),
    )
    found = check(draft, {"/refund"}, DATA)
    assert [(p.where, p.index) for p in found] == [("name", None), ("action", 0), ("action", 1)]
    assert all("control character" in p.message for p in found)
