"""One JSON error shape for every failure: ``{"error": {"code", "message", "details"?}}``.

Bad input is always a 4xx that says what is wrong; a 500 means a bug of ours. An ``ApiError``
also sends its message's brace ``template`` and JSON-primitive ``params`` (issue 13, as a
refused mutation does, docs/refusals.md), so the desk shows it in the agent's language: its
message is a plain string literal (``pybabel extract -k ApiError:3``), the values keyword
params, ``ApiError(404, "not_found", "No message with id {id}.", id=message_id)``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from csdesk.domain.phrase import Param, Phrase, fill
from csdesk.server.refusals import Refusal

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
        **params: Param,
    ) -> None:
        text = fill(message, params)
        super().__init__(text)
        self.status = status
        self.code = code
        self.message = text
        self.template = message
        self.params: dict[str, Param] = dict(params)
        self.details = details
        self.headers = headers

    @classmethod
    def saying(
        cls,
        status: int,
        code: str,
        phrase: Phrase,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> ApiError:
        """The error whose text is ``phrase`` (a helper's reason; its literal template was
        checked where the ``Phrase`` was made)."""
        return cls(status, code, phrase.template, details, headers, **phrase.params)

    @classmethod
    def of(cls, status: int, refusal: Refusal) -> ApiError:
        """A refused mutation answered over the HTTP API (template and params kept)."""
        return cls(status, refusal.code.value, refusal.template, None, None, **refusal.params)


def error_body(
    code: str,
    message: str,
    details: Any = None,
    template: str | None = None,
    params: dict[str, Param] | None = None,
) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        err["details"] = details
    if template is not None:
        err["template"] = template
        err["params"] = dict(params or {})
    return {"error": err}


def _describe(errors: list[Any]) -> str:
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "request"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_req: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details, exc.template, exc.params),
            exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse(
            error_body("invalid_request", _describe(errors) or "invalid request", errors), 422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthorized",
            413: "too_large",
        }.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _bug(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal", "internal server error"), 500)
