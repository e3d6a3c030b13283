"""The public knowledge base in a real browser (Debian's chromium): the language's page with
its ``lang``, a skip link as the first stop of Tab, one ``h1`` and the article's headings
below it, hostile Markdown shown as text, other languages reached by keyboard, the search
form, and internal articles 404."""

from __future__ import annotations

import uuid
from typing import Any

from csdesk.protocol import MutationType
from tests.helpers.http import Raw
from tests.helpers.server import ServerProcess, TestUser

BODY = (
    "Intro with <script>window.pwned = 1</script> and [a trap](javascript:alert(1)).\n\n"
    "# Steps\n\n1. Pack it\n2. Send it\n\n[Carrier](https://example.org/track)"
)


def _save(client: Raw, aid: str, slug: str, public: bool, variants: dict[str, Any]) -> None:
    (res,) = client.push(
        (
            MutationType.KB_ARTICLE_SAVE,
            {
                "article_id": aid,
                "slug": slug,
                "public": public,
                "tags": [],
                "variants": [{"lang": k, "title": t, "body": b} for k, (t, b) in variants.items()],
            },
        )
    )
    assert res["status"] == "applied", res


def test_public_article_pages_by_keyboard(
    live: ServerProcess, shared_users: dict[str, TestUser], page: Any
) -> None:
    sue = Raw.signed_in(live, shared_users["sue"])
    _save(
        sue,
        str(uuid.uuid4()),
        "sending-back",
        True,
        {"en": ("Sending it back", BODY), "de": ("Zurücksenden", "Einfach *zurücksenden*.")},
    )
    _save(sue, str(uuid.uuid4()), "secret-goodwill", False, {"en": ("Staff only", "Hush.")})

    page.goto(f"{live.url}/kb/sending-back?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title().startswith("Sending it back")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tree = page.locator("main").aria_snapshot()
    assert '- heading "Sending it back" [level=1]' in tree
    assert '- heading "Steps" [level=2]' in tree  # the body's "#" is below the title
    assert page.locator("main h1").count() == 1
    # Hostile Markdown: the script is text, the javascript: link is no link.
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("main script").count() == 0
    assert "<script>" in page.locator("article").inner_text()
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("a[href='https://example.org/track']").get_attribute("rel") == (
        "noopener noreferrer nofollow"
    )
    # The German variant by keyboard: Tab to its link, Enter.
    german = page.locator("a[hreflang=de]")
    assert german.get_attribute("lang") == "de"
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('hreflang')") == "de":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("main h1").inner_text() == "Zurücksenden"
    assert page.locator("main em").inner_text() == "zurücksenden"

    # The index lists public articles only; the search form works by keyboard.
    page.goto(f"{live.url}/kb")
    assert page.get_by_role("link", name="Sending it back").count() == 1
    assert page.get_by_role("link", name="Staff only").count() == 0
    page.get_by_label("Search the help centre").focus()
    page.keyboard.type("pack")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("link", name="Sending it back").count() == 1
    page.goto(f"{live.url}/kb?q=hush")
    assert "No articles match your search." in page.locator("main").inner_text()

    response = page.goto(f"{live.url}/kb/secret-goodwill")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Article not found"
