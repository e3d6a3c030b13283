"""The survey page: plain HTML, no JavaScript, usable with a keyboard and a screen reader.

Each question is a ``fieldset`` with a ``legend``; each choice a native radio button with its
own ``label`` (Tab moves between questions, the arrow keys between choices); the comment a
labelled ``textarea``; errors are listed at the top in a ``role=alert`` region and named on the
question they concern. Every value the page shows is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from csdesk.server.surveys import texts
from csdesk.server.surveys.answer import MAX_COMMENT

_LANG = texts.LANGUAGE
_STYLE = (
    "body{font:1.05rem/1.5 system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem}"
    "fieldset{margin:1rem 0;padding:.5rem 1rem}legend{font-weight:600;padding:0 .25rem}"
    "label{display:inline-block;margin:.25rem 1rem .25rem 0;padding:.25rem 0}"
    "input[type=radio]{width:1.2rem;height:1.2rem;vertical-align:middle}"
    "textarea{width:100%;box-sizing:border-box;font:inherit}"
    "button{font:inherit;padding:.5rem 1.25rem;margin:1rem 0}"
    ":focus-visible{outline:3px solid;outline-offset:2px}"
)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def lang_attr(language: str) -> str:
    return language.replace("_", "-") if _LANG.match(language or "") else "en"


def document(language: str, title: str, content: str) -> str:
    tr = texts.translator(language).gettext
    return (
        f"<!doctype html><html lang={_e(lang_attr(language))}><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{_e(tr(title))}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{_e(tr(title))}</h1>{content}</main></body></html>"
    )


def message(language: str, title: str, text: str) -> str:
    return document(language, title, f"<p>{_e(texts.tr(language, text))}</p>")


def _scale(
    name: str,
    legend: str,
    choices: Sequence[tuple[int, str]],
    chosen: str | None,
    *,
    required: bool,
    error: str | None,
) -> str:
    # The error is also said on the question itself (not only in the list at the top), so a
    # screen reader tabbing into it hears what is wrong there.
    attrs = f" aria-invalid=true aria-describedby={name}-error" if error else ""
    parts = [f"<fieldset id={name}-q{attrs}><legend>{_e(legend)}</legend>"]
    if error:
        parts.append(f"<p id={name}-error><strong>{_e(error)}</strong></p>")
    for value, label in choices:
        ident = f"{name}-{value}"
        checked = " checked" if chosen == str(value) else ""
        req = " required" if required else ""
        parts.append(
            f"<label for={ident}><input type=radio id={ident} name={name} "
            f"value={value}{checked}{req}> {_e(label)}</label>"
        )
    parts.append("</fieldset>")
    return "".join(parts)


def form(
    language: str,
    subject: str,
    values: Mapping[str, str] | None = None,
    errors: Sequence[tuple[str, str]] = (),
) -> str:
    """The survey form; ``values`` refill it after an error, ``errors`` are (field, text)."""
    tr = texts.translator(language).gettext
    values = values or {}
    bad = dict(reversed(errors))  # field -> its (first) error
    out = []
    if errors:
        items = "".join(
            f"<li><a href='#{_e(field)}-q'>{_e(text)}</a></li>" for field, text in errors
        )
        out.append(f"<div role=alert><h2>{_e(tr(texts.ERROR_TITLE))}</h2><ul>{items}</ul></div>")
    out.append(f"<p>{_e(tr(texts.INTRO))}</p>")
    if subject:
        out.append(f"<p>{_e(tr(texts.ABOUT_LINE).format(subject=subject))}</p>")
    # No action: the form posts back to the page's own URL, whatever prefix the server is
    # published under (the signed token is in it).
    out.append("<form method=post>")
    csat = [(n, tr(label)) for n, label in enumerate(texts.CSAT_LABELS, start=1)]
    out.append(
        _scale(
            "csat",
            tr(texts.CSAT_LEGEND),
            csat,
            values.get("csat"),
            required=True,
            error=bad.get("csat"),
        )
    )
    nps = [(n, _end(n, 0, 10, tr(texts.NPS_LOW), tr(texts.NPS_HIGH))) for n in range(11)]
    out.append(
        _scale(
            "nps",
            tr(texts.NPS_LEGEND),
            nps,
            values.get("nps"),
            required=False,
            error=bad.get("nps"),
        )
    )
    ces = [(n, _end(n, 1, 7, tr(texts.CES_LOW), tr(texts.CES_HIGH))) for n in range(1, 8)]
    out.append(
        _scale(
            "ces",
            tr(texts.CES_LEGEND),
            ces,
            values.get("ces"),
            required=False,
            error=bad.get("ces"),
        )
    )
    comment_label = tr(texts.COMMENT_LABEL).format(n=MAX_COMMENT)
    invalid, said = "", ""
    if "comment" in bad:
        invalid = " aria-invalid=true aria-describedby=comment-error"
        said = f"<br><strong id=comment-error>{_e(bad['comment'])}</strong>"
    out.append(
        f"<p id=comment-q><label for=comment>{_e(comment_label)}</label>{said}<br>"
        f"<textarea id=comment name=comment rows=5 maxlength={MAX_COMMENT}{invalid}>"
        f"{_e(values.get('comment', ''))}</textarea></p>"
    )
    out.append(f"<button type=submit>{_e(tr(texts.SUBMIT))}</button></form>")
    return document(language, texts.TITLE, "".join(out))


def _end(n: int, low: int, high: int, low_text: str, high_text: str) -> str:
    """A number, with its meaning at the ends of the scale ("0 – not at all likely")."""
    if n == low:
        return f"{n} – {low_text}"
    if n == high:
        return f"{n} – {high_text}"
    return str(n)
