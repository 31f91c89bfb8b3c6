"""Which addresses a feed may send the bot to: the public internet only.

A feed, or a redirect it answers with, must not point the bot at the machine's own network. IPv6 addresses that
carry an IPv4 one (mapped, 6to4, NAT64, Teredo) are judged by the IPv4 address they reach.
"""

from __future__ import annotations

import ipaddress
import re

_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address reached
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: a site's own translators, never public

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(address: IpAddress) -> bool:
    """Is this an address on the public internet? An IPv6 address that carries an IPv4 one (mapped, 6to4,
    NAT64, Teredo) is judged by the address it reaches: 2002:a00:1:: is 10.0.0.1."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return False
        embedded = _embedded_ipv4(address)
        if embedded and not all(is_public_address(inner) for inner in embedded):
            return False
        if embedded and address.teredo is None:
            return True  # a translation of the (public) IPv4 address: the prefix itself says nothing more
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    if address.sixtofour is not None:
        return (address.sixtofour,)
    if address in _NAT64:
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    if address.teredo is not None:
        return address.teredo  # (server, client); 2001::/32 itself is not global either
    return ()


# A URL's user name and password (http://user:password@host/feed): up to the last "@" before the path.
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)[^/?#]*@", re.IGNORECASE)


def without_credentials(url: str) -> str:
    """The URL for a message, which is logged and shown in `status`: without the credentials a feed URL may hold."""
    return _USERINFO.sub(r"\1***@", url)
