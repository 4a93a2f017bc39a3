"""Fetch a web page safely: http(s) only, bounded in time and size, no private addresses.

Every hop of a redirect is checked again. The host is resolved once, checked, and the request
goes to that very address (the host name travels in the ``Host`` header and TLS's SNI), so a
name that resolves to a public address when checked cannot reach a private one when fetched.
Proxies from the environment are ignored for the same reason.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from rag.config import Settings
from rag.errors import FetchError

if TYPE_CHECKING:
    import httpx

MAX_REDIRECTS = 5
USER_AGENT = "kabar/0.1 (news search; +https://pypi.org/project/kabar/)"
ACCEPTED_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "text/markdown",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
    }
)


@dataclass(frozen=True)
class Fetched:
    """A fetched body with the URL it finally came from and its media type."""

    url: str
    content_type: str
    """Media type, lower case, without parameters (``text/html``); empty when not sent."""
    data: bytes


def is_url(target: str) -> bool:
    """Whether an ingest target names a URL (any scheme) rather than a file."""
    return "://" in target


class Fetcher:
    """An HTTP client with kabar's limits; use it as a context manager to close its connections.

    ``allow_private`` lets it reach loopback and private-network addresses: the CLI passes
    True (the user's own machine), the HTTP API and web chat pass ``allow_private_urls``.
    """

    def __init__(self, settings: Settings, allow_private: bool) -> None:
        import httpx  # imported when a fetcher is made: ~0.2 s that searches do not need

        self.timeout = settings.fetch_timeout
        self.max_bytes = settings.max_fetch_bytes
        self.allow_private = allow_private
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._client.close()

    def get(self, url: str) -> Fetched:
        """The body at ``url``; FetchError naming the URL and the reason when it cannot be had."""
        import httpx

        deadline = time.monotonic() + self.timeout
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self._open(current)
                try:
                    if response.is_redirect:
                        current = urljoin(current, response.headers.get("location", ""))
                        continue
                    return Fetched(
                        current, self._check(url, response), self._body(url, response, deadline)
                    )
                finally:
                    response.close()
            except httpx.TimeoutException:
                raise FetchError(
                    f"{url}: no answer within {self.timeout:g} s (KABAR_FETCH_TIMEOUT)"
                ) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: cannot fetch: {exc}") from None
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    @staticmethod
    def _check(url: str, response: httpx.Response) -> str:
        """The response's media type; FetchError for an HTTP error or a type kabar cannot read."""
        if response.is_error:
            raise FetchError(
                f"{url}: the server answered {response.status_code} {response.reason_phrase}"
            )
        kind = _media_type(response.headers.get("content-type", ""))
        if kind and kind not in ACCEPTED_TYPES:
            raise FetchError(f"{url}: kabar reads web pages and feeds, not {kind}")
        return kind

    def _open(self, url: str) -> httpx.Response:
        """Send the request to the checked address of ``url``'s host; the response streams."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{url}: only http:// and https:// URLs can be fetched")
        address = self._address(url, parts.hostname, parts.port or _default_port(parts.scheme))
        host = f"[{address}]" if ":" in address else address
        netloc = f"{host}:{parts.port}" if parts.port else host
        target = parts._replace(netloc=netloc).geturl()
        headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
        request = self._client.build_request(
            "GET", target, headers=headers, extensions={"sni_hostname": parts.hostname}
        )
        return self._client.send(request, stream=True)

    def _address(self, url: str, host: str, port: int) -> str:
        """The first address ``host`` resolves to, refused when it is not a public one."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"{url}: cannot resolve {host} ({exc})") from None
        addresses = [str(info[4][0]) for info in infos]
        if not self.allow_private:
            for address in addresses:
                if not _is_public(address):
                    raise FetchError(
                        f"{url}: {host} is a private or loopback address ({address}); the "
                        "server does not fetch those unless KABAR_ALLOW_PRIVATE_URLS=true"
                    )
        return addresses[0]

    def _body(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        """The response body, refused once it passes the size cap or the time limit."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(_too_large(url, int(declared), self.max_bytes))
        body = bytearray()
        for piece in response.iter_bytes():
            body += piece
            if len(body) > self.max_bytes:
                raise FetchError(_too_large(url, len(body), self.max_bytes))
            if time.monotonic() > deadline:
                raise FetchError(
                    f"{url}: not complete within {self.timeout:g} s (KABAR_FETCH_TIMEOUT)"
                )
        return bytes(body)


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _too_large(url: str, size: int, limit: int) -> str:
    return (
        f"{url}: the page is over the {limit / 2**20:.0f} MiB limit ({size / 2**20:.1f} MiB "
        "read; raise KABAR_MAX_FETCH_BYTES to allow it)"
    )
