"""Provider media URLs come from outside (a Messenger "fallback" share is a link the customer
chose): the server fetches only https from public addresses, checks every redirect hop and the
address it connects to, and an attachment it refused says why instead of holding whatever an
internal URL answered."""

from __future__ import annotations

import datetime
import ipaddress
import random
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from csdesk.server.channels import egress, media_fetch
from tests.server.channels.support import Desk, messaging_event, new_sid, wait_until

SECRET = b"internal: aws_secret_access_key=do-not-leak"


class Internal:
    """A service only the server's own network reaches (a metadata endpoint, an admin page):
    it counts every request that gets to it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        internal = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:
                internal.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(SECRET)))
                self.end_headers()
                self.wfile.write(SECRET)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Redirector:
    """Stands in for a public host that answers a redirect to ``location``."""

    def __init__(self, location: str) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.hits += 1
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal() -> Iterator[Internal]:
    service = Internal()
    try:
        yield service
    finally:
        service.stop()


def _get(url: str, policy: egress.EgressPolicy | None = None, **kw: Any) -> None:
    with egress.GuardedSession(policy or egress.EgressPolicy()) as http:
        resp = egress.get(http, url, allowed=kw.pop("allowed", None), timeout=(2, 2), **kw)
        resp.close()


# --- the rules, in process -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("10.20.30.40", "private"),
        ("192.168.1.1", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "not a public address"),
        ("224.0.0.251", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
    ],
)
def test_every_non_public_range_is_refused(address: str, why: str) -> None:
    problem = egress.address_problem(ipaddress.ip_address(address))
    assert problem is not None and why in problem


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1", "157.240.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert egress.address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("https://127.0.0.1:{port}/latest/meta-data/", "127.0.0.1 is a loopback address"),
        ("https://10.0.0.7:{port}/admin", "a private address"),
        ("https://169.254.169.254/latest/meta-data/iam/", "a link-local address"),
        ("https://[::1]:{port}/", "a loopback address"),
        ("https://[::ffff:127.0.0.1]:{port}/", "a loopback address"),
        ("https://localhost:{port}/secret", "localhost ("),  # resolves to loopback
        ("http://127.0.0.1:{port}/secret", "not https"),
        ("http://lookaside.fbsbx.com/x", "not https"),
        ("ftp://127.0.0.1:{port}/x", "not https"),
        ("https://user:pw@lookaside.fbsbx.com/x", "user name or password"),
        ("https://" + "a" * 70 + ".example/x", "is not valid"),  # a label over 63 characters
        ("https://lookaside.fbsbx.com:99999/x", "invalid port"),
    ],
)
def test_internal_urls_are_refused_before_any_request(
    internal: Internal, template: str, why: str
) -> None:
    url = template.format(port=internal.port)
    with pytest.raises(egress.Refused) as refused:
        _get(url)
    assert why in refused.value.reason
    assert internal.hits == []


def test_a_redirect_to_loopback_is_checked_and_refused(internal: Internal) -> None:
    for target in (
        f"https://127.0.0.1:{internal.port}/latest/meta-data/",
        f"https://localhost:{internal.port}/admin",
        f"http://127.0.0.1:{internal.port}/plain-http",
    ):
        public = Redirector(target)  # the first hop is allowed, as a public host would be
        try:
            policy = egress.EgressPolicy(egress.parse_origins([public.url]))
            with pytest.raises(egress.Refused) as refused:
                _get(public.url + "/media/1", policy)
            assert public.hits == 1
            assert "loopback" in refused.value.reason or "not https" in refused.value.reason
        finally:
            public.stop()
    assert internal.hits == []


def test_redirects_are_bounded() -> None:
    loop = Redirector("/again")
    try:
        policy = egress.EgressPolicy(egress.parse_origins([loop.url]))
        with pytest.raises(egress.Refused) as refused:
            _get(loop.url + "/start", policy)
        assert "redirected more than" in refused.value.reason
        assert loop.hits == egress.MAX_REDIRECTS + 1
    finally:
        loop.stop()


def test_a_trusted_origin_is_exactly_that_origin(internal: Internal) -> None:
    """The test setting exempts one scheme+host+port, not loopback as a whole."""
    other = Internal()
    try:
        policy = egress.EgressPolicy(egress.parse_origins([f"http://127.0.0.1:{internal.port}"]))
        _get(f"http://127.0.0.1:{internal.port}/ok", policy)
        assert internal.hits == ["/ok"]
        for url in (
            f"http://127.0.0.1:{other.port}/no",
            f"http://localhost:{internal.port}/no",
            f"https://127.0.0.1:{internal.port}/no",
        ):
            with pytest.raises(egress.Refused):
                _get(url, policy)
        assert other.hits == [] and internal.hits == ["/ok"]
    finally:
        other.stop()


def test_a_name_resolving_to_any_internal_address_is_refused(internal: Internal) -> None:
    """What the resolver answers is what is checked and connected to: one public and one
    loopback answer (a rebinding trick) refuses the host."""
    asked: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["93.184.216.34", "127.0.0.1"]

    policy = egress.EgressPolicy(resolve=rebinding)
    with pytest.raises(egress.Refused) as refused:
        _get(f"https://media.example:{internal.port}/x", policy)
    assert "media.example (127.0.0.1) is a loopback address" in refused.value.reason
    assert asked == ["media.example"] and internal.hits == []


def test_only_the_providers_media_hosts_are_fetched() -> None:
    meta = media_fetch.hosts(media_fetch.META_HOSTS, "https://graph.facebook.com")
    for ok in ("lookaside.fbsbx.com", "scontent.xx.fbcdn.net", "graph.facebook.com"):
        assert egress.host_allowed(ok, meta)
    for bad in ("fbcdn.net.attacker.example", "evil-fbcdn.net", "metadata.google.internal"):
        assert not egress.host_allowed(bad, meta)
    with pytest.raises(egress.Refused) as refused:
        _get("https://attacker.example/x.png", allowed=meta)
    assert "attacker.example is not one of the provider's media servers" in refused.value.reason


# --- a live server: the refusal on the attachment --------------------------------------------


def _messenger(desk: Desk, attachment: dict[str, Any]) -> str:
    mid = "m_" + new_sid("")
    payload = messaging_event("page", str(random.randrange(10**15)), mid, "look at this")
    payload["entry"][0]["messaging"][0]["message"]["attachments"] = [attachment]
    assert desk.meta(payload).status_code == 200
    return mid


def _finished(desk: Desk, mid: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        msg = desk.message_by_provider_id(mid)
        if msg is None or not msg["attachments"]:
            return None
        return msg if msg["attachments"][0].get("fetch") else None

    return wait_until(probe, 30, f"the attachment of {mid}")


def test_an_internal_media_url_is_refused_visibly_on_the_attachment(
    desk: Desk, internal: Internal
) -> None:
    cases = {
        f"http://127.0.0.1:{internal.port}/latest/meta-data/": "not https",
        f"https://127.0.0.1:{internal.port}/admin": "127.0.0.1 is a loopback address",
        f"https://[::ffff:127.0.0.1]:{internal.port}/admin": "not one of the provider",
        "https://attacker.example/x.png": "not one of the provider's media servers",
        # a Meta CDN URL that redirects inside: the hop is checked
        desk.fakes.graph.add_cdn_redirect(
            f"https://127.0.0.1:{internal.port}/secret"
        ): "127.0.0.1 is a loopback address",
        desk.fakes.graph.add_cdn_redirect(
            f"https://localhost:{internal.port}/secret"
        ): "a loopback address",
    }
    for url, why in cases.items():
        mid = _messenger(desk, {"type": "image", "payload": {"url": url}})
        msg = _finished(desk, mid)
        entry = msg["attachments"][0]
        assert entry["fetch"] == "failed" and entry["sha256"] is None, entry
        assert why in entry["fetch_error"], entry
        r = desk.agent.get(f"/api/v1/messages/{msg['id']}/attachments/0")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_stored"
        assert SECRET not in r.content
    assert internal.hits == []
    assert "Traceback" not in desk.log_text()


def test_a_shared_link_is_text_never_a_download(desk: Desk, internal: Internal) -> None:
    """A Messenger "fallback" share is a link the customer chose: the agent sees the link."""
    link = f"http://127.0.0.1:{internal.port}/latest/meta-data/"
    mid = _messenger(desk, {"type": "fallback", "payload": {"url": link, "title": "my link"}})
    msg = desk.wait_message(mid)
    assert msg["attachments"] in ([], None)
    assert link in msg["body_text"] and "look at this" in msg["body_text"]
    assert internal.hits == []


def _certificate(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_connects_to_the_checked_address_and_verifies_the_host_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup the rules checked is the one connected to (no second lookup a rebinding DNS
    could answer), and TLS still verifies the name in the URL."""
    cert, key = _certificate(tmp_path, "media.example")
    photo = b"\x89PNG a photo"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(photo)))
            self.end_headers()
            self.wfile.write(photo)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    port = int(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Only loopback exists here: let 127.0.0.1 stand in for a public address in this test.
    real = egress.address_problem
    monkeypatch.setattr(
        egress, "address_problem", lambda ip: None if str(ip) == "127.0.0.1" else real(ip)
    )
    lookups: list[str] = []

    def resolve(host: str, _port: int) -> list[str]:
        lookups.append(host)  # the system resolver does not know media.example at all
        return ["127.0.0.1"]

    try:
        with egress.GuardedSession(egress.EgressPolicy(resolve=resolve)) as http:
            http.verify = str(cert)
            url = f"https://media.example:{port}/photo.png"
            resp = egress.get(http, url, allowed=["media.example"], timeout=(2, 2))
            assert resp.status_code == 200 and resp.content == photo
            http.verify = True  # the system's CAs: the self-signed name is not trusted
            with pytest.raises(requests.exceptions.SSLError):
                egress.get(http, url, allowed=["media.example"], timeout=(2, 2))
        assert lookups == ["media.example", "media.example"]  # one per connection
    finally:
        server.shutdown()
        server.server_close()
