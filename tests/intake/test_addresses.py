"""The SSRF guard's rule on its own; test_fetch_hostile.py holds it to the fetcher through real redirects."""

from __future__ import annotations

import ipaddress

import pytest

from bot.intake.addresses import is_public_address


def test_translations_of_public_ipv4_addresses_stay_public():
    assert is_public_address(ipaddress.ip_address("2002:808:808::1"))  # 6to4 of 8.8.8.8
    assert is_public_address(ipaddress.ip_address("64:ff9b::808:808"))  # NAT64 of 8.8.8.8
    assert not is_public_address(ipaddress.ip_address("64:ff9b:1::808:808"))  # a site's own NAT64


PRIVATE_OR_SPECIAL = [
    "10.0.0.1", "127.0.0.1", "169.254.169.254", "0.0.0.0", "224.0.0.1", "100.64.0.1",  # IPv4
    "::1", "fe80::1",  # IPv6 loopback, link-local
    "::ffff:10.0.0.1", "2002:a00:1::", "64:ff9b::a00:1",  # mapped, 6to4, NAT64 of 10.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
]


@pytest.mark.parametrize("address", PRIVATE_OR_SPECIAL)
def test_private_and_special_addresses_are_not_public(address):
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_public(address):
    assert is_public_address(ipaddress.ip_address(address))
