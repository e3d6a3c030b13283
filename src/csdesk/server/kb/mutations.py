"""Supervisors' and administrators' edits of the knowledge base, as push mutations
(registered in ``server.sync.mutations.HANDLERS``). Agents and trainees are refused; every
change is an audit entry and reaches every desk through the change feed.

``kb.article.save`` creates an article or replaces it whole: its slug, public flag, tags and
its language variants (a language left out is marked deleted); ``kb.article.delete`` retires
it (kept, marked deleted, so the audit log still names it; its public page is gone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain import kb
from csdesk.domain.enums import Role
from csdesk.protocol import MutationType, RejectCode
from csdesk.server.kb import search
from csdesk.storage import audit
from csdesk.storage import models as m
from csdesk.storage.types import utcnow

if TYPE_CHECKING:
    from csdesk.server.sync.mutations import Reject

#: Who creates, edits and deletes articles.
EDITORS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


def _reject(code: RejectCode, message: str) -> Reject:
    from csdesk.server.sync.mutations import Reject

    return Reject(code, message)


def _editor(user: m.User) -> None:
    if user.role not in EDITORS:
        raise _reject(
            RejectCode.FORBIDDEN,
            "Only supervisors and administrators create, edit or delete articles.",
        )


def _plain(value: str) -> str:
    if kb.clean_text(value) != value:
        raise ValueError("contains a character that cannot be stored")
    return value.strip()


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class VariantArgs(_Args):
    lang: str = Field(min_length=2, max_length=16)
    title: str = Field(min_length=1, max_length=kb.MAX_TITLE)
    body: str = Field(default="", max_length=kb.MAX_BODY)

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str) -> str:
        out = v.strip().lower()
        if not kb.is_lang(out):
            raise ValueError("languages are codes like en, de or pt-br")
        return out

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        out = " ".join(_plain(v).split())
        if not out:
            raise ValueError("a variant needs a title")
        return out

    @field_validator("body")
    @classmethod
    def _body(cls, v: str) -> str:
        return _plain(v.replace("\r\n", "\n"))


class ArticleArgs(_Args):
    article_id: str = Field(min_length=1, max_length=36)
    slug: str = Field(default="", max_length=kb.MAX_SLUG)
    public: bool = False
    tags: list[str] = Field(default_factory=list, max_length=kb.MAX_TAGS)
    variants: list[VariantArgs] = Field(min_length=1, max_length=kb.MAX_VARIANTS)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        out = v.strip().lower()
        if out and not kb.is_slug(out):
            raise ValueError("a slug is lower-case letters, digits and single hyphens")
        return out

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        out = [" ".join(_plain(x).lower().split()) for x in v]
        if any(not x or len(x) > kb.MAX_TAG for x in out):
            raise ValueError(f"tags are 1 to {kb.MAX_TAG} characters")
        return list(dict.fromkeys(out))

    @model_validator(mode="after")
    def _languages(self) -> ArticleArgs:
        langs = [v.lang for v in self.variants]
        if len(set(langs)) != len(langs):
            raise ValueError("one variant per language")
        return self


class DeleteArgs(_Args):
    article_id: str = Field(min_length=1, max_length=36)


def _snap(a: m.KbArticle, variants: list[m.KbVariant]) -> dict[str, Any]:
    return {
        "slug": a.slug,
        "public": a.public,
        "tags": list(a.tags or []),
        "variants": {v.lang: v.title for v in variants if v.deleted_at is None},
    }


def _variants(session: Session, article_id: str) -> list[m.KbVariant]:
    V = m.KbVariant
    return list(session.scalars(select(V).where(V.article_id == article_id).with_for_update()))


def save_article(session: Session, user: m.User, a: ArticleArgs) -> None:
    _editor(user)
    art = session.get(m.KbArticle, a.article_id, with_for_update=True)
    if art is not None and art.deleted_at is not None:
        raise _reject(RejectCode.DELETED, "This article was deleted.")
    slug = a.slug or kb.slugify(
        next((v.title for v in a.variants if v.lang == "en"), a.variants[0].title)
    )
    A = m.KbArticle
    taken = session.scalar(
        select(A.id).where(A.slug == slug, A.id != a.article_id, A.deleted_at.is_(None))
    )
    if taken is not None:
        if a.slug:
            raise _reject(RejectCode.CONFLICT, "Another article already has that address.")
        slug = f"{slug[: kb.MAX_SLUG - 9]}-{a.article_id[:8].lower()}"
    existing = _variants(session, a.article_id) if art is not None else []
    before = _snap(art, existing) if art is not None else None
    if art is None:
        art = m.KbArticle(id=a.article_id, realm="production", author_id=user.id)
        session.add(art)
    art.slug = slug
    art.public = a.public
    art.tags = list(a.tags)
    art.updated_by_id = user.id
    by_lang = {v.lang: v for v in existing}
    wanted = {v.lang for v in a.variants}
    for va in a.variants:
        row = by_lang.get(va.lang)
        if row is None:
            row = m.KbVariant(
                id=kb.variant_id(art.id, va.lang),
                realm="production",
                article_id=art.id,
                lang=va.lang,
            )
            session.add(row)
            by_lang[va.lang] = row
        row.title = va.title
        row.body = va.body
        row.deleted_at = None
    now = utcnow()
    for lang, row in by_lang.items():
        if lang not in wanted and row.deleted_at is None:
            row.deleted_at = now
    art.updated_at = now  # a variant's change is the article's change too
    session.flush()
    search.reindex(session, [v.id for v in by_lang.values()])
    audit.record(
        session,
        user.id,
        MutationType.KB_ARTICLE_SAVE,
        "kb_article",
        art.id,
        before,
        _snap(art, list(by_lang.values())),
    )


def delete_article(session: Session, user: m.User, a: DeleteArgs) -> None:
    _editor(user)
    art = session.get(m.KbArticle, a.article_id, with_for_update=True)
    if art is None:
        raise _reject(RejectCode.NOT_FOUND, "That article does not exist.")
    if art.deleted_at is not None:
        return
    variants = _variants(session, art.id)
    before = _snap(art, variants)
    now = utcnow()
    art.deleted_at = now
    for v in variants:
        if v.deleted_at is None:
            v.deleted_at = now
    session.flush()
    search.reindex(session, [v.id for v in variants])
    audit.record(session, user.id, MutationType.KB_ARTICLE_DELETE, "kb_article", art.id, before)


def handlers() -> dict[str, tuple[type[BaseModel], Any]]:
    """The knowledge base's mutation types and their handlers (for the registry)."""
    return {
        MutationType.KB_ARTICLE_SAVE: (ArticleArgs, save_article),
        MutationType.KB_ARTICLE_DELETE: (DeleteArgs, delete_article),
    }
