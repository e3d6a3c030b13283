"""The per-channel file rules the composer and the server both apply, and the multipart
encoding providers receive (read back by the same parser the fakes use)."""

from __future__ import annotations

from csdesk.domain import attachment_limits as limits
from csdesk.domain.attachment_limits import MB, FileInfo, Problem
from csdesk.server.channels import meta, telegram
from csdesk.server.channels.multipart import FilePart, multipart_request
from csdesk.server.channels.outbound import OutboundRequest
from tests.helpers.fakes.base import Part, Recorded


def _f(name: str, size: int, ctype: str = "application/pdf") -> FileInfo:
    return FileInfo(name, size, ctype)


def test_each_channel_applies_its_documented_limits() -> None:
    assert limits.check("whatsapp", [_f("a.jpg", 5 * MB, "image/jpeg")]) is None
    over = limits.check("whatsapp", [_f("a.jpg", 5 * MB + 1, "image/jpeg")])
    assert over is not None and over.problem == Problem.TOO_BIG and over.limit == 5 * MB
    assert limits.check("whatsapp", [_f("a.pdf", 16 * MB)]) is None
    total = limits.check("sms", [_f("a.pdf", 3 * MB), _f("b.pdf", 3 * MB)])
    assert total is not None and total.problem == Problem.TOTAL_TOO_BIG and total.name == "b.pdf"
    many = limits.check("telegram", [_f(f"{n}.pdf", 10) for n in range(11)])
    assert many is not None and many.problem == Problem.TOO_MANY and many.name == "10.pdf"
    empty = limits.check("email", [_f("zero.pdf", 0)])
    assert empty is not None and empty.problem == Problem.EMPTY
    phone = limits.check("phone", [_f("a.pdf", 10)])
    assert phone is not None and phone.problem == Problem.NO_FILES_HERE
    # Notes may carry files on any channel, up to the server's upload cap.
    assert limits.check("phone", [_f("a.pdf", 10)], note=True) is None
    big_note = limits.check("sms", [_f("a.pdf", limits.MAX_UPLOAD_BYTES + 1)], note=True)
    assert big_note is not None and big_note.problem == Problem.TOO_BIG
    assert limits.human_size(5 * MB) == "5 MB" and limits.human_size(1536 * 1024) == "1.5 MB"


def _parts(request: OutboundRequest) -> dict[str, Part]:
    headers = {k.lower(): v for k, v in request.headers}
    parts = Recorded("POST", "/", "", headers, request.body).multipart()
    assert parts is not None
    return {p.name: p for p in parts}


def test_multipart_round_trips_awkward_names_and_bytes() -> None:
    data = bytes(range(256)) * 3 + b"\r\n--tricky"
    req = multipart_request(
        "POST",
        "https://api.example/upload",
        [("caption", "Grüße\r\nline two")],
        [FilePart("file", 'Rech"nung März.pdf', "application/pdf", data)],
        {"Authorization": "Bearer t"},
    )
    assert (
        req.header(
            "content-type",
        )
        is not None
    )
    parts = _parts(req)
    file = parts["file"]
    assert file.data == data
    assert file.filename == "Rech%22nung März.pdf"
    assert parts["caption"].data.decode() == "Grüße\r\nline two"


def test_provider_builders_for_files() -> None:
    photo = telegram.build_upload_file(
        token="123:abc", chat_id=42, filename="a.png", content_type="image/png",
        data=b"png", caption="Hi",
    )  # fmt: skip
    assert photo.url.endswith("/bot123:abc/sendPhoto")
    assert set(_parts(photo)) == {"chat_id", "caption", "photo"}
    doc = telegram.build_upload_file(
        token="123:abc", chat_id=42, filename="a.zip", content_type="application/zip", data=b"z"
    )
    assert doc.url.endswith("/sendDocument") and set(_parts(doc)) == {"chat_id", "document"}

    upload = meta.build_whatsapp_media_upload(
        access_token="tok", phone_number_id="555", filename="a.ogg",
        content_type="audio/ogg", data=b"ogg",
    )  # fmt: skip
    assert upload.url.endswith("/555/media") and upload.header("authorization") == "Bearer tok"
    audio = meta.build_whatsapp_media(
        access_token="tok", phone_number_id="555", to="+351900000000", media_id="m1",
        kind=meta.whatsapp_media_kind("audio/ogg"), caption="ignored for audio",
    )  # fmt: skip
    assert audio.json_body()["audio"] == {"id": "m1"} and audio.json_body()["to"] == "351900000000"
    assert meta.whatsapp_media_kind("image/gif") == "document"
    ok = meta.parse_media_upload_response(200, b'{"id": "4490709327384033"}')
    assert ok.ok and ok.provider_message_id == "4490709327384033"
    refused = meta.parse_media_upload_response(
        400, b'{"error": {"message": "(#131053) Media upload error", "code": 131053}}'
    )
    assert not refused.ok and refused.error_code == "131053"
    link = meta.build_messenger_attachment(
        page_access_token="p",
        recipient_id="9",
        url="https://desk.example/f",
        content_type="text/csv",
    )
    assert link.json_body()["message"]["attachment"]["type"] == "file"
