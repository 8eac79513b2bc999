"""Where a webhook may go: checked when it is registered and again before every attempt.

A webhook URL is the one place an admin points the centre at an arbitrary
host, so it is the centre's SSRF surface: a receiver URL naming the cloud's
metadata service, a database on the cluster network or the centre's own
loopback would turn every review into a request there. So the host is
resolved and every address it resolves to must be public (the `ipaddress`
module's own notion: not loopback, link-local, private, unspecified,
multicast or reserved, also when wrapped as IPv4-mapped IPv6), unless it lies
in a network the operator allowed (`EVENT_REVIEW_WEBHOOK_ALLOWED_NETWORKS`).
Plain http:// is accepted only towards those allowed networks: to the public
internet a body and its signature travel over TLS.

DNS can change between the check and the connection (DNS rebinding), so a
delivery resolves once, checks, and connects to the address it checked
(`Destination.address`), sending the original name as the Host header and as
TLS SNI, against which the receiver's certificate is verified.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from event_review.contracts.fields import forbidden_character

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

RESOLVE_TIMEOUT_SECONDS = 3.0
DEFAULT_PORTS = {"http": 80, "https": 443}
URL_MAX_LENGTH = 2048


class Refused(Exception):
    """The URL may not be called, whatever happens next: bad form or a forbidden address."""


class Unresolvable(Exception):
    """The host did not resolve (now): at registration a refusal, at delivery a retry."""


@dataclass(frozen=True)
class Destination:
    """A checked URL and the one address to connect to for it."""

    url: str
    scheme: str
    host: str  # the name (or literal) as the URL gives it, lower case, no brackets
    port: int
    address: IPAddress

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS[self.scheme] == self.port else f"{host}:{self.port}"

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return urlunsplit(
            (parts.scheme, f"{literal}:{self.port}", parts.path or "/", parts.query, "")
        )

    @property
    def sni_hostname(self) -> str | None:
        """The name TLS asks for and checks the certificate against (none for a literal)."""
        if self.scheme != "https" or _literal(self.host) is not None:
            return None
        return self.host


def checked_url(url: str) -> SplitResult:
    """The URL's parts, if its form is one a webhook may have."""
    if len(url) > URL_MAX_LENGTH or forbidden_character(url) is not None:
        raise Refused("the URL holds control characters or is too long")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"the URL cannot be read: {exc}") from exc
    if parts.scheme not in DEFAULT_PORTS:
        raise Refused("only http:// and https:// URLs are called")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused("the URL carries credentials; receivers verify the signature instead")
    if not parts.hostname:
        raise Refused("the URL names no host")
    if port == 0:
        raise Refused("port 0 is not a port to call")
    try:
        parts.hostname.encode("idna")
    except UnicodeError as exc:
        raise Refused("the host name is not a valid domain name") from exc
    return parts


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def address_problem(address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    """Why the centre may not call this address, or None when it may."""
    if _in(address, allowed):
        return None
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    target = mapped or address
    prefix = "an IPv4-mapped " if mapped is not None else "a "
    for kind, applies in (
        ("unspecified", target.is_unspecified),
        ("loopback", target.is_loopback),
        ("link-local", target.is_link_local),
        ("multicast", target.is_multicast),
        ("reserved", target.is_reserved),
        ("private", target.is_private),
        ("non-public", not target.is_global),
    ):
        if applies:
            return f"{address} is {prefix}{kind} address"
    return None


async def _resolve(host: str, port: int) -> list[IPAddress]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, TimeoutError) as exc:
        raise Unresolvable(f"{host} does not resolve: {exc}") from exc
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        # A scope id (fe80::1%eth0) is no part of the address being judged.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise Unresolvable(f"{host} resolves to no address")
    return found


async def resolve(url: str, allowed: Sequence[IPNetwork]) -> Destination:
    """Check the URL, resolve its host once and check every address; the first to call.

    Every address must pass, not only the first: a name resolving to a public
    and a private address would otherwise reach the private one on another try.
    """
    parts = checked_url(url)
    assert parts.hostname is not None
    scheme, host = parts.scheme, parts.hostname.rstrip(".")
    port = parts.port or DEFAULT_PORTS[scheme]
    addresses = await _resolve(host, port)
    for address in addresses:
        problem = address_problem(address, allowed)
        if problem is not None:
            named = (
                "" if _literal(host) is not None else f"{host} resolves to a forbidden address: "
            )
            raise Refused(named + problem)
        if scheme == "http" and not _in(address, allowed):
            raise Refused(
                "plain http:// is only for networks in EVENT_REVIEW_WEBHOOK_ALLOWED_NETWORKS; "
                "use https://"
            )
    return Destination(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def _in(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return any(a in network for a in (address, mapped) if a is not None for network in allowed)
