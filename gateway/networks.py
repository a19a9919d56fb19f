"""IP addresses and networks as settings and accounts state them: one parser, one membership test.

Used for the web's trusted proxies (``web.trusted_proxies``) and for the networks a provider
account may log in from. A network is written as an address (``192.0.2.7``) or in CIDR form
(``10.0.0.0/8``, host bits allowed); an IPv4 address seen through an IPv6 socket
(``::ffff:192.0.2.7``) is the IPv4 address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_network(text: str) -> Network:
    """The network ``text`` states; raises ``ValueError`` saying it is not one."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not an address or network") from None


def parse_networks(texts: Iterable[str]) -> tuple[Network, ...]:
    """Every network of ``texts`` (empty entries skipped); raises ``ValueError`` on the first bad one."""
    return tuple(parse_network(text) for text in texts if text.strip())


def parse_address(text: str) -> Address | None:
    """The address ``text`` states (IPv4-mapped IPv6 as IPv4), or None when it is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def contains(networks: Iterable[Network], address: str) -> bool:
    """True when ``address`` is an address inside one of ``networks``."""
    ip = parse_address(address)
    return ip is not None and any(ip in network for network in networks)
