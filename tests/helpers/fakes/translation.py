"""LibreTranslate and DeepL as documented, on loopback.

LibreTranslate: ``POST /translate`` with a JSON body ``{"q", "source", "target", "format",
"api_key"}`` (``source`` may be ``"auto"``); answers ``{"translatedText", "detectedLanguage":
{"confidence", "language"}}`` or ``{"error": "..."}`` (400, 403, 429, 500).

DeepL: ``POST /v2/translate`` with ``Authorization: DeepL-Auth-Key <key>`` and a JSON body
``{"text": [...], "target_lang", "source_lang"?}``; answers ``{"translations":
[{"detected_source_language", "text"}]}`` or ``{"message": "..."}`` (400, 403, 413, 429, 456,
500-504). English and Portuguese targets must name their variant (EN-GB/EN-US, PT-PT/PT-BR).
"""

from __future__ import annotations

from tests.helpers.fakes.base import Answer, FakeProvider, Recorded, Violation


#: What the fakes "translate" to: the target's code around the text, so a test sees both.
def rendered(text: str, target: str) -> str:
    return f"[{target}] {text}"


class FakeLibreTranslate(FakeProvider):
    name = "libretranslate"

    def __init__(self, api_key: str = "") -> None:
        super().__init__()
        self.api_key = api_key

    def error(self, status: int, message: str) -> Answer:
        return Answer(status, {"error": message})

    def handle(self, req: Recorded) -> Answer:
        if req.method != "POST" or req.path != "/translate":
            raise Violation(self.error(404, "Not Found"), f"unknown endpoint {req.path}")
        if not req.headers.get("content-type", "").startswith("application/json"):
            raise Violation(self.error(400, "Invalid request"), "not a JSON body")
        body = req.json()
        for key in ("q", "source", "target"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise Violation(self.error(400, f"Invalid request: missing {key} parameter"), key)
        if body.get("format", "text") not in ("text", "html"):
            raise Violation(self.error(400, "Invalid request: format"), "format")
        if self.api_key and body.get("api_key") != self.api_key:
            raise Violation(self.error(403, "Invalid API key"), "api_key")
        out: dict[str, object] = {"translatedText": rendered(body["q"], body["target"])}
        if body["source"] == "auto":
            out["detectedLanguage"] = {"confidence": 90.0, "language": "de"}
        return Answer(200, out)


class FakeDeepL(FakeProvider):
    name = "deepl"

    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key

    def error(self, status: int, message: str) -> Answer:
        return Answer(status, {"message": message})

    def handle(self, req: Recorded) -> Answer:
        if req.method != "POST" or req.path != "/v2/translate":
            raise Violation(self.error(404, "Not Found"), f"unknown endpoint {req.path}")
        if req.headers.get("authorization") != f"DeepL-Auth-Key {self.api_key}":
            raise Violation(self.error(403, "Authorization failure"), "authorization header")
        if not req.headers.get("content-type", "").startswith("application/json"):
            raise Violation(self.error(400, "Bad request"), "not a JSON body")
        body = req.json()
        texts, target = body.get("text"), body.get("target_lang")
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise Violation(self.error(400, "Parameter 'text' not specified."), "text")
        if not isinstance(target, str) or target in ("EN", "PT") or target != target.upper():
            raise Violation(self.error(400, "Value for 'target_lang' not supported."), "target")
        source = body.get("source_lang")
        if source is not None and (not isinstance(source, str) or source != source.upper()):
            raise Violation(self.error(400, "Value for 'source_lang' not supported."), "source")
        found = source or "DE"
        return Answer(
            200,
            {
                "translations": [
                    {"detected_source_language": found, "text": rendered(t, target)} for t in texts
                ]
            },
        )
