"""Fetching feeds politely and defensively.

One shared ``httpx.AsyncClient`` (see :func:`make_client`); a :class:`Fetcher` on top that

* follows redirects itself, checking every hop: only http(s), and no private, loopback, link-local, reserved or
  multicast address (unless allowed), so a feed cannot point the bot at the machine's own network; a feed written
  as https is never followed down to http; where permanent redirects say it moved is reported (``moved_to``);
* enforces a total deadline around the whole fetch, streaming included, and a byte cap on the *decoded* stream
  as it is decoded, layer by layer (``Content-Encoding: gzip, gzip`` included), so a server that never answers,
  never stops answering or sends a decompression bomb costs one feed its poll and a few MB, nothing more;
* sends conditional requests (ETag / Last-Modified) and reports 304 as "not_modified";
* reports 429/503 with the server's Retry-After (capped at a week, and the cap logged), asks that host nothing more,
  for any feed, until then, and keeps arXiv's etiquette (one request at a time per host, at least N seconds
  between request starts).

``fetch`` never raises for network or HTTP trouble: it returns a :class:`FetchResult` with status "error" (or
"waiting": no request made, the host having asked to be left alone until ``retry_after`` seconds from now).
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import logging
import math
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

import httpx

from bot import __version__
from bot.intake.addresses import is_public_address, without_credentials
from bot.intake.decoding import BodyDecoder, Refused, describe_size
from bot.intake.redirects import REDIRECTS, RedirectChain
from bot.intake.retry import MAX_RETRY_AFTER_SECONDS, parse_retry_after
from bot.intake.sources import FeedSpec
from bot.pacing import KeyedPacer

log = logging.getLogger(__name__)

DEFAULT_POLITE_HOSTS: Mapping[str, float] = {"export.arxiv.org": 3.0, "rss.arxiv.org": 3.0, "arxiv.org": 3.0}
_THROTTLED = {429, 503}
_ACCEPT = "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, */*;q=0.5"
# Only what BodyDecoder undoes itself, with its cap on each layer (httpx's own decoders would inflate a whole chunk
# at once, however large it becomes).
_ACCEPT_ENCODING = "gzip, deflate"

Resolver = Callable[[str, int], Awaitable[list[str]]]


# Said with every refused address: a feed on a LAN or on this machine is allowed by one setting.
PRIVATE_HINT = " (a private address: INTERP_BOT_ALLOW_PRIVATE_ADDRESSES=true allows it)"


@dataclass(frozen=True)
class Validators:
    """What the last successful response said about itself, for a conditional request."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchResult:
    status: Literal["ok", "not_modified", "error", "waiting"]
    body: bytes = b""
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None  # seconds, from Retry-After (delta-seconds or HTTP date)
    error: str = ""  # human-readable: "HTTP 503", "body exceeds 5 MB", "refused private address 10.0.0.1 (...)"
    final_url: str = ""
    warnings: tuple[str, ...] = ()  # the body came, but not whole: "the gzip body ends early"
    moved_to: str | None = None  # the URL after the permanent (301/308) redirects the chain starts with

    @property
    def validators(self) -> Validators:
        return Validators(etag=self.etag, last_modified=self.last_modified)


def user_agent(contact_url: str) -> str:
    return f"interp-bot/{__version__} (+{contact_url})"


def make_client(contact_url: str, *, connect_timeout: float = 10, read_timeout: float = 20) -> httpx.AsyncClient:
    """The one client every fetch shares (connection pooling; one place for timeouts and the User-Agent).

    Redirects are off: the Fetcher follows them itself so it can check each hop's address.
    """
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent(contact_url), "Accept": _ACCEPT, "Accept-Encoding": _ACCEPT_ENCODING},
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )


@dataclass(frozen=True)
class Probe:
    """Whether a link answers (`Fetcher.probe`): its status, and where permanent redirects say it now lives."""

    ok: bool
    status: int | None = None
    error: str = ""
    moved_to: str | None = None  # the URL after the permanent (301/308) redirects the chain starts with
    method: str = "HEAD"


# A host whose last label is a number is an IPv4 address to a browser (WHATWG URL), in whatever spelling:
# "1.2.3.04", "0x7f.1", "2130706433". Only the plain dotted quad is unambiguous.
_NUMERIC_LAST_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class Fetcher:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        allow_private: bool = False,
        max_bytes: int = 5_000_000,
        total_timeout: float = 30.0,
        max_redirects: int = 5,
        polite_hosts: Mapping[str, float] = DEFAULT_POLITE_HOSTS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        allow_networks: Iterable[str] = (),
        resolver: Resolver | None = None,
    ):
        """``allow_networks`` names non-public networks to allow even when ``allow_private`` is false (a local
        mirror, or a test server on 127.0.0.0/8 that must still be refused a redirect to 10.0.0.1).
        ``resolver`` maps (host, port) to IP address strings; by default the event loop's getaddrinfo."""
        self._client = client
        self._allow_private = allow_private
        self._max_bytes = max_bytes
        self._total_timeout = total_timeout
        self._max_redirects = max_redirects
        self._polite_hosts = {host.lower(): spacing for host, spacing in polite_hosts.items()}
        self._clock = clock
        self._sleep = sleep
        self._allowed_networks = tuple(ipaddress.ip_network(n, strict=False) for n in allow_networks)
        self._resolver = resolver or _getaddrinfo
        self._gates: dict[str, KeyedPacer] = {}  # per polite host: its own interval
        # Per host that answered 429 or 503 with Retry-After: until when (self._clock) and with which status. The
        # server asked it of us, not of one feed: arXiv's four API feeds each asked it again, 3 s apart.
        self._host_waits: dict[str, tuple[float, int]] = {}

    async def fetch(self, feed: FeedSpec, validators: Validators = Validators()) -> FetchResult:
        chain = RedirectChain(feed.url, refuse_downgrade=True)
        loop = asyncio.get_running_loop()

        def failed(error: str) -> FetchResult:
            return FetchResult("error", error=error, final_url=chain.url, moved_to=chain.moved_to)

        try:
            async with asyncio.timeout(self._total_timeout) as deadline:
                for _ in range(self._max_redirects + 1):
                    async with self._hop(chain.url, deadline, loop):
                        result, location = self._left_alone(chain.url) or await self._request(chain.url, validators)
                    self._note_wait(chain.url, result)
                    if location is None:
                        return _cap_retry_after(replace(result, moved_to=chain.moved_to), feed.name)
                    chain.follow(result.http_status or 0, location)
                return failed(f"more than {self._max_redirects} redirects")
        except TimeoutError:
            return failed(f"timed out after {self._total_timeout:g} s")
        except Refused as refused:
            return failed(str(refused))
        except httpx.HTTPError as exc:
            return failed(_describe_http_error(exc))
        except httpx.InvalidURL as exc:  # not an HTTPError: httpx raises it before any request
            return failed(f"invalid URL {without_credentials(chain.url)}: {exc}")
        except (OSError, ValueError) as exc:  # socket trouble below httpx, malformed URLs
            return failed(f"{type(exc).__name__}: {exc}")

    # ------------------------------------------------------------------ one hop

    async def _request(self, url: str, validators: Validators) -> tuple[FetchResult, str | None]:
        """The response to one GET, or (with its status) the Location a redirect points to."""
        # A validator with a byte outside printable ASCII (a server may send `"été"`) made httpx raise before the
        # request, on every poll (a failed poll keeps its validators): left out, the request is a whole GET.
        headers = {name: value for name, value in (("If-None-Match", validators.etag),
                                                   ("If-Modified-Since", validators.last_modified))
                   if value and value.isascii() and value.isprintable()}
        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    return FetchResult("error", http_status=status, error=f"HTTP {status} without Location",
                                       final_url=url), None
                return FetchResult("error", http_status=status), location
            etag = response.headers.get("ETag") or validators.etag
            last_modified = response.headers.get("Last-Modified") or validators.last_modified
            if status == 304 and not headers:  # nothing to be "not modified" from: the feed would never arrive
                return FetchResult("error", http_status=304, error="HTTP 304 (Not Modified) to a request that "
                                   "was not conditional", final_url=url), None
            if status == 304:
                return FetchResult("not_modified", http_status=304, etag=etag, last_modified=last_modified,
                                   final_url=url), None
            if status in _THROTTLED or status >= 400:
                return FetchResult("error", http_status=status, error=f"HTTP {status}", final_url=url,
                                   retry_after=parse_retry_after(response.headers.get("Retry-After"))), None
            if not 200 <= status < 300:
                return FetchResult("error", http_status=status, error=f"unexpected HTTP {status}",
                                   final_url=url), None
            body, warnings = await self._read_capped(response)
            return FetchResult("ok", body=body, http_status=status, etag=response.headers.get("ETag"),
                               last_modified=response.headers.get("Last-Modified"), final_url=url,
                               warnings=warnings), None

    def _left_alone(self, url: str) -> tuple[FetchResult, None] | None:
        """No request to a host that asked, answering any feed, to be left alone for now: how long it asked."""
        host = (urlsplit(url).hostname or "").lower()
        until, status = self._host_waits.get(host, (0.0, 0))
        if until <= self._clock():
            return None
        return FetchResult("waiting", error=f"HTTP {status} from {host} to another request",
                           retry_after=until - self._clock(), final_url=url), None

    def _note_wait(self, url: str, result: FetchResult) -> None:
        if result.http_status in _THROTTLED and result.retry_after:
            host = (urlsplit(url).hostname or "").lower()
            until = self._clock() + min(result.retry_after, MAX_RETRY_AFTER_SECONDS)
            if until > self._host_waits.get(host, (0.0, 0))[0]:
                self._host_waits[host] = (until, result.http_status)

    async def _read_capped(self, response: httpx.Response) -> tuple[bytes, tuple[str, ...]]:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise Refused(f"body exceeds {describe_size(self._max_bytes)}")
        decoder = BodyDecoder(response.headers.get("Content-Encoding", ""), self._max_bytes)
        # BytesIO, not a bytearray: its getvalue() hands over the buffer it grew, where bytes(bytearray) copies it,
        # and the two copies of a 4.6 MB body were the bot's memory peak (issue 16).
        body = io.BytesIO()
        # The raw stream, decoded here: every layer's output is counted as it is produced, so a 2 kB bomb is cut
        # off at the cap having held about the cap, as a large plain body is.
        async for chunk in response.aiter_raw():
            for piece in decoder.decode(chunk):
                body.write(piece)
        for piece in decoder.finish():
            body.write(piece)
        return body.getvalue(), decoder.warnings

    # ------------------------------------------------------------------ checks

    @staticmethod
    def _check_url(url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise Refused(f"refused non-http(s) URL {without_credentials(url)}")
        host = parts.hostname
        if not host:
            raise Refused(f"refused URL without a host: {without_credentials(url)}")
        if ":" not in host and _NUMERIC_LAST_LABEL.match(host.rstrip(".").rsplit(".", 1)[-1]):
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                raise Refused(f"refused ambiguous numeric address {host} (only a plain a.b.c.d is clear)") from None

    async def _check_address(self, url: str) -> None:
        if self._allow_private:
            return
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await self._resolver(host, port)]
            except OSError as exc:
                raise Refused(f"cannot resolve {host}: {exc}") from None
        if not addresses:
            raise Refused(f"cannot resolve {host}")
        # Every address must be acceptable: the connection may use any of them.
        # (The connection resolves the name again; a DNS answer that changes in between is not caught here.)
        for address in addresses:
            if not is_public_address(address) and not any(address in net for net in self._allowed_networks):
                raise Refused(f"refused private address {address}" + (f" for {host}" if str(address) != host else "")
                              + PRIVATE_HINT)

    @asynccontextmanager
    async def _hop(self, url: str, deadline: asyncio.Timeout, loop: asyncio.AbstractEventLoop) -> AsyncIterator[None]:
        """One request of a redirect chain: the URL checked (scheme, address), then the host's turn taken."""
        self._check_url(url)
        await self._check_address(url)
        async with self._turn((urlsplit(url).hostname or "").lower(), deadline, loop):
            yield

    @asynccontextmanager
    async def _turn(
        self, host: str, deadline: asyncio.Timeout, loop: asyncio.AbstractEventLoop
    ) -> AsyncIterator[None]:
        spacing = self._polite_hosts.get(host)
        if spacing is None:
            yield
            return
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = KeyedPacer(spacing, since="start", clock=self._clock, sleep=self._sleep)
        # Waiting for our turn is politeness, not slowness: it does not count against the fetch's deadline.
        waited_from = loop.time()
        async with gate.turn(host):
            when = deadline.when()
            if when is not None:
                deadline.reschedule(when + (loop.time() - waited_from))
            yield

    # ------------------------------------------------------------------ link checks

    async def probe(self, url: str) -> Probe:
        """Is `url` alive? HEAD first, then GET when HEAD fails (many servers answer HEAD with 403, 404 or 405, or
        not at all). Redirects are followed and checked like a fetch's; bodies are never read. Never raises."""
        head = await self._probe(url, "HEAD")
        return head if head.ok else await self._probe(url, "GET")

    async def _probe(self, url: str, method: str) -> Probe:
        loop = asyncio.get_running_loop()
        # A link's https page that redirects to http still answers a reader's browser: no downgrade refused here.
        chain = RedirectChain(url, refuse_downgrade=False)
        try:
            async with asyncio.timeout(self._total_timeout) as deadline:
                for _ in range(self._max_redirects + 1):
                    async with self._hop(chain.url, deadline, loop), \
                            self._client.stream(method, chain.url) as response:
                        status = response.status_code
                        location = response.headers.get("Location")
                    if status in REDIRECTS and location:
                        chain.follow(status, location)
                        continue
                    ok = 200 <= status < 300
                    return Probe(ok, status, "" if ok else f"HTTP {status}", chain.moved_to, method)
                return Probe(False, None, f"more than {self._max_redirects} redirects", None, method)
        except TimeoutError:
            return Probe(False, error=f"timed out after {self._total_timeout:g} s", method=method)
        except Refused as refused:
            return Probe(False, error=str(refused), method=method)
        except httpx.HTTPError as exc:
            return Probe(False, error=_describe_http_error(exc), method=method)
        except httpx.InvalidURL as exc:  # not an HTTPError: a host no IDNA allows (http://☃.net), a URL over 64 kB
            return Probe(False, error=f"invalid URL: {exc}", method=method)
        except (OSError, ValueError) as exc:
            return Probe(False, error=f"{type(exc).__name__}: {exc}", method=method)


def _cap_retry_after(result: FetchResult, feed: str) -> FetchResult:
    if result.retry_after is None or result.retry_after <= MAX_RETRY_AFTER_SECONDS:
        return result
    log.warning("feed %s: the server asked us to wait %s s (Retry-After); waiting %d days instead", feed,
                f"{result.retry_after:.0f}" if math.isfinite(result.retry_after) else "forever",
                MAX_RETRY_AFTER_SECONDS // 86400, extra={"feed": feed})
    return replace(result, retry_after=MAX_RETRY_AFTER_SECONDS)


async def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _describe_http_error(exc: httpx.HTTPError) -> str:
    kinds: dict[type[Exception], str] = {
        httpx.ConnectTimeout: "connect timeout",
        httpx.ReadTimeout: "read timeout",
        httpx.WriteTimeout: "write timeout",
        httpx.PoolTimeout: "no free connection",
        httpx.ConnectError: "cannot connect",
        httpx.RemoteProtocolError: "protocol error",
        httpx.ReadError: "read error",
    }
    kind = kinds.get(type(exc), type(exc).__name__)
    detail = str(exc)
    return f"{kind}: {detail}" if detail else kind
