"""Fetching URLs that came from outside (provider media) without being a proxy into our network.

A Messenger attachment URL, a Twilio MediaUrl, the download URL Meta's media lookup answers:
each arrives in a webhook, and a "fallback" share in Messenger is a link the customer chose.
Fetched blindly, such a URL reaches whatever the server can reach (a cloud metadata service,
an admin page on localhost) and the body becomes an attachment agents can download.

The rules (``EgressPolicy``):

* https only, and the first URL's host must be one the provider documents for its media
  (``allowed`` per call: Twilio ``api.twilio.com``, Meta ``lookaside.fbsbx.com``,
  ``*.fbcdn.net``, Telegram ``api.telegram.org``, plus the host of the connection's configured
  ``api_base_url``, which the operator chose);
* the host is resolved and every address it gives must be public: loopback, private,
  link-local, shared, multicast, reserved and unspecified ranges are refused, IPv4 and IPv6,
  including IPv4 addresses carried in IPv6 (mapped, 6to4, Teredo);
* the connection is made to the address that was checked (no second lookup a rebinding DNS
  could answer differently), and its peer is checked again once connected;
* redirects are followed here, at most ``MAX_REDIRECTS``, each hop checked like the first
  (https, public address; any host, since providers redirect to their storage), and
  credentials go only to the origin they were meant for.

Tests run the providers as local fakes on loopback over http: an origin listed in
``trusted_origins`` (``ServerConfig.fetch_trusted_origins``, from
``$CSDESK_FETCH_TRUSTED_ORIGINS``) is exempt from these rules, exactly that scheme, host and
port and nothing else. Production leaves it empty.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError
from urllib3.util import connection as u3conn

MAX_REDIRECTS: Final = 5
ENV_TRUSTED: Final = "CSDESK_FETCH_TRUSTED_ORIGINS"
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class Refused(Exception):
    """The server will not fetch this URL; ``reason`` says why, for the agent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def address_problem(ip: IPAddress) -> str | None:
    """Why the server must not connect to ``ip`` (a short noun phrase), or None if public."""
    if isinstance(ip, ipaddress.IPv6Address):
        for embedded in (ip.ipv4_mapped, ip.sixtofour, (ip.teredo or (None, None))[1]):
            if embedded is not None:
                problem = address_problem(embedded)
                if problem is not None:
                    return problem
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    )
    for name, hit in checks:
        if hit:
            return f"a {name} address"
    if not ip.is_global:  # shared address space (100.64/10) and the like
        return "not a public address"
    return None


def _origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    return scheme.lower(), host.lower().strip("[]"), port or _DEFAULT_PORTS.get(scheme, 0)


def origin_of(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return _origin(parts.scheme, parts.hostname or "", parts.port)


def parse_origins(text: str | Iterable[str]) -> frozenset[tuple[str, str, int]]:
    """``"http://127.0.0.1:5001, http://[::1]:5002"`` as origins (blank entries ignored)."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    return frozenset(origin_of(item.strip()) for item in items if item.strip())


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """``host`` matches a name in ``allowed`` (``*.fbcdn.net`` matches any subdomain)."""
    host = host.lower().rstrip(".")
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


@dataclass(frozen=True)
class EgressPolicy:
    """See the module docstring; ``resolve`` is injectable so tests can play DNS."""

    trusted_origins: frozenset[tuple[str, str, int]] = frozenset()
    resolve: Resolver = field(default=_system_resolve, compare=False)

    def trusted(self, scheme: str, host: str, port: int | None) -> bool:
        return _origin(scheme, host, port) in self.trusted_origins

    def check_url(self, url: str, allowed: Iterable[str] | None) -> None:
        """Refuse ``url`` unless it is https (to a host in ``allowed``, when given)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            port = parts.port
        except ValueError:
            raise Refused("the link has an invalid port") from None
        if not host:
            raise Refused("the link names no host")
        if self.trusted(parts.scheme, host, port):
            return
        if parts.scheme.lower() != "https":
            raise Refused(f"the link is not https ({parts.scheme or 'no'} scheme)")
        if parts.username or parts.password:
            raise Refused("the link carries a user name or password")
        if allowed is not None and not host_allowed(host, allowed):
            raise Refused(f"{host} is not one of the provider's media servers")

    def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses to connect to; ``Refused`` if any answer is not public."""
        try:
            answers = self.resolve(host, port)
        except (UnicodeError, ValueError):
            raise Refused(f"the host name {host!r} is not valid") from None
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "no address")
        for text in answers:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
            problem = address_problem(ip)
            if problem is not None:
                shown = host if host == str(ip) else f"{host} ({ip})"
                raise Refused(f"{shown} is {problem}, which the server never fetches from")
        return answers

    def connect(self, conn: HTTPConnection, scheme: str) -> socket.socket:
        """The socket for ``conn``: to a checked address, peer checked once connected."""
        host = conn._dns_host
        if self.trusted(scheme, host, conn.port):
            return u3conn.create_connection(
                (host, conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        try:
            answers = self.addresses(host, conn.port)
        except socket.gaierror as exc:
            raise NameResolutionError(conn.host, conn, exc) from exc
        last: OSError | None = None
        for ip in answers:
            try:
                sock = u3conn.create_connection(
                    (ip, conn.port),
                    conn.timeout,
                    source_address=conn.source_address,
                    socket_options=conn.socket_options,
                )
            except OSError as exc:
                last = exc
                continue
            peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%", 1)[0])
            problem = address_problem(peer)
            if problem is not None:  # cannot happen with the address checked; never trust it
                sock.close()
                raise Refused(f"{host} connected to {peer}, {problem}")
            return sock
        assert last is not None
        raise last


def _pool_classes(
    policy: EgressPolicy,
) -> dict[str, type[HTTPConnectionPool]]:
    def http_new_conn(self: HTTPConnection) -> socket.socket:
        return policy.connect(self, "http")

    def https_new_conn(self: HTTPConnection) -> socket.socket:
        return policy.connect(self, "https")

    http_conn = type("GuardedHTTPConnection", (HTTPConnection,), {"_new_conn": http_new_conn})
    https_conn = type("GuardedHTTPSConnection", (HTTPSConnection,), {"_new_conn": https_new_conn})
    http_pool = type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn})
    https_pool = type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn})
    return {"http": http_pool, "https": https_pool}


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, policy: EgressPolicy) -> None:
        self._policy = policy
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._policy)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise Refused("a proxy is configured, and media are fetched only directly")


class GuardedSession(requests.Session):
    """A ``requests`` session whose every connection obeys ``policy``; no proxies from the
    environment (a proxy would connect for us, past the address check)."""

    def __init__(self, policy: EgressPolicy) -> None:
        super().__init__()
        self.policy = policy
        self.trust_env = False
        adapter = _GuardedAdapter(policy)
        self.mount("http://", adapter)
        self.mount("https://", adapter)


def get(
    http: GuardedSession,
    url: str,
    *,
    allowed: Iterable[str] | None,
    timeout: tuple[float, float],
    headers: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    stream: bool = False,
) -> requests.Response:
    """GET ``url`` under the policy, following up to ``MAX_REDIRECTS`` redirects, each hop
    checked; ``headers`` and ``auth`` go only to ``url``'s own origin. Raises ``Refused``."""
    allowed = list(allowed) if allowed is not None else None
    http.policy.check_url(url, allowed)
    home = origin_of(url)
    current, query = url, dict(params or {})
    for _hop in range(MAX_REDIRECTS + 1):
        same = origin_of(current) == home
        resp = http.get(
            current,
            params=query or None,
            headers=dict(headers or {}) if same else None,
            auth=auth if same else None,
            timeout=timeout,
            allow_redirects=False,
            stream=stream,
        )
        location = resp.headers.get("Location")
        if resp.status_code not in _REDIRECTS or not location:
            return resp
        resp.close()
        current, query = urljoin(resp.url, location), {}
        http.policy.check_url(current, None)
    raise Refused(f"the link redirected more than {MAX_REDIRECTS} times")
