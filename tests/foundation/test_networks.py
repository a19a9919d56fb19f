"""The one parser of IP networks (trusted proxies, the networks of provider accounts)."""

from __future__ import annotations

import ipaddress

import pytest

from gateway.networks import contains, parse_address, parse_network, parse_networks


@pytest.mark.parametrize(
    ("text", "network"),
    [
        pytest.param("10.0.0.0/8", "10.0.0.0/8", id="cidr"),
        pytest.param("192.0.2.7", "192.0.2.7/32", id="address"),
        pytest.param("192.0.2.7/24", "192.0.2.0/24", id="host-bits"),
        pytest.param(" 2001:db8::/32 ", "2001:db8::/32", id="ipv6-spaces"),
    ],
)
def test_a_network_is_an_address_or_cidr(text: str, network: str) -> None:
    assert parse_network(text) == ipaddress.ip_network(network)


@pytest.mark.parametrize("text", ["", "10.0.0.0/33", "example.org", "10.0.0.0/8,"])
def test_anything_else_is_refused_naming_it(text: str) -> None:
    with pytest.raises(ValueError, match="is not an address or network"):
        parse_network(text)


def test_a_list_skips_empty_entries_and_stops_at_a_bad_one() -> None:
    assert parse_networks(["10.0.0.0/8", "", " "]) == (ipaddress.ip_network("10.0.0.0/8"),)
    with pytest.raises(ValueError, match="'nope'"):
        parse_networks(["10.0.0.0/8", "nope"])


def test_membership_reads_ipv4_through_ipv6_and_refuses_non_addresses() -> None:
    networks = parse_networks(["10.0.0.0/8", "2001:db8::/32"])
    assert contains(networks, "10.1.2.3") and contains(networks, "::ffff:10.1.2.3")
    assert contains(networks, "2001:db8::1")
    assert not contains(networks, "192.0.2.1") and not contains(networks, "unix:/run/x")
    assert not contains((), "10.0.0.1")
    assert parse_address("::ffff:192.0.2.1") == ipaddress.ip_address("192.0.2.1")
    assert parse_address("not an address") is None
