"""The server's side of the desk's customer record (SQLite and PostgreSQL): an edit is checked
with the desk's own rules and stored in canonical spelling; merge and undo refuse clearly."""

from __future__ import annotations

from typing import Any

from tests.helpers.data import make_conversations
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser


def _update(api: Raw, customer_id: str, **fields: Any) -> dict[str, Any]:
    (result,) = api.push(("customer.update", {"customer_id": customer_id, "fields": fields}))
    assert isinstance(result, dict)
    return result


def test_an_edit_is_checked_and_stored_in_canonical_spelling(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    (made,) = make_conversations(backend, 1)
    ann = Raw.signed_in(live, shared_users["ann"])
    for fields, words in (
        ({"email": "not an address"}, "is not an email address"),
        ({"phone": "0207 946 0958"}, "international form"),
        ({"phone": "+1 call me"}, "international form"),
        ({"name": "   "}, "name cannot be empty"),
        ({"language": "english please"}, "not a language code"),
    ):
        result = _update(ann, made.customer_id, **fields)
        assert result["status"] == "rejected", fields
        assert result["reason"]["code"] == "invalid" and words in result["reason"]["message"]

    result = _update(
        ann,
        made.customer_id,
        name="  Ann Lee ",
        email="Ann.Lee@Example.COM",
        phone="+44 20 7946 0958",
        tags=[" vip ", "vip", ""],
    )
    assert result["status"] == "applied", result
    data = ann.get(f"/api/v1/entities/customer/{made.customer_id}").json()["data"]
    assert (data["name"], data["email"], data["phone"]) == (
        "Ann Lee",
        "Ann.Lee@example.com",
        "+442079460958",
    )
    assert data["tags"] == ["vip"]
    assert _update(ann, made.customer_id, email="", phone=None)["status"] == "applied"
    data = ann.get(f"/api/v1/entities/customer/{made.customer_id}").json()["data"]
    assert data["email"] is None and data["phone"] is None  # blank clears


def test_merge_and_undo_refuse_with_a_reason(
    live: ServerProcess, backend: str, shared_users: dict[str, TestUser]
) -> None:
    a, b = make_conversations(backend, 2)
    ann = Raw.signed_in(live, shared_users["ann"])
    tia = Raw.signed_in(live, shared_users["tia"])  # a trainee works the training realm only

    def merge(api: Raw, source: str, target: str) -> dict[str, Any]:
        args = {"source_customer_id": source, "target_customer_id": target}
        (result,) = api.push(("customer.merge", args))
        assert isinstance(result, dict)
        return result

    def unmerge(source: str) -> dict[str, Any]:
        (result,) = ann.push(("customer.unmerge", {"customer_id": source}))
        assert isinstance(result, dict)
        return result

    itself = merge(ann, a.customer_id, a.customer_id)
    assert itself["reason"] == {
        "code": "invalid",
        "message": "A customer cannot be merged into itself.",
        # Issue 13: the desk translates the template (here without params).
        "template": "A customer cannot be merged into itself.",
        "params": {},
    }
    assert merge(tia, a.customer_id, b.customer_id)["reason"]["code"] == "not_found"
    assert unmerge(a.customer_id)["reason"]["code"] == "conflict"
    assert merge(ann, a.customer_id, b.customer_id)["status"] == "applied"
    again = merge(ann, a.customer_id, b.customer_id)
    assert again["reason"]["code"] == "deleted" and "already merged" in again["reason"]["message"]
    edit = _update(ann, a.customer_id, name="Too Late")
    assert edit["reason"] == {
        "code": "deleted",
        "message": "This customer was merged into another profile.",
        "template": "This customer was merged into another profile.",
        "params": {},
    }
    conv = ann.get(f"/api/v1/entities/conversation/{a.conversation_id}").json()["data"]
    assert conv["customer_id"] == b.customer_id
    assert unmerge(a.customer_id)["status"] == "applied"
    conv = ann.get(f"/api/v1/entities/conversation/{a.conversation_id}").json()["data"]
    assert conv["customer_id"] == a.customer_id
