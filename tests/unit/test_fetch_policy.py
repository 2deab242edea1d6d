"""The one address rule of every fetch, the credential pin and the URL masks (issue 48):
pure logic, no network."""

from __future__ import annotations

import pytest

from assistant.core.fetch import (
    Credential,
    FetchError,
    FetchPolicy,
    GuardedClient,
    literal_address_refusal,
    origin_of,
    refused_address,
)
from assistant.core.redact import MASK, mask_url_secrets, url_secrets


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("100.100.100.200", "shared (carrier-grade NAT)"),  # one cloud's metadata service
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 carrying 127.0.0.1
        ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 carrying 169.254.169.254
        ("2002:c0a8:101::1", "private"),  # 6to4 carrying 192.168.1.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of the metadata address
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:100.100.100.200", "shared (carrier-grade NAT)"),
        ("192.0.2.10", "reserved"),  # documentation
        ("198.18.0.1", "reserved"),  # benchmarking
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("fe80::1", "link-local"),
        ("2001:db8::1", "reserved"),
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("fd00::1", "private"),
    ],
)
def test_only_global_addresses_pass_by_default(address: str, reason: str) -> None:
    assert refused_address(address) == reason


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "2002:808:808::"]
)
def test_global_addresses_pass(address: str) -> None:
    assert refused_address(address) is None


def test_allowing_private_sources_allows_the_intranet_and_nothing_more() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.9", "fd00::1", "::1"):
        assert refused_address(address, allow_private=True) is None
    for address in ("100.100.100.200", "169.254.169.254", "2002:a9fe:a9fe::", "192.0.2.1"):
        assert refused_address(address, allow_private=True) is not None


def test_a_literal_address_is_judged_when_a_source_is_added() -> None:
    assert literal_address_refusal("http://100.100.100.200/latest", True)
    assert literal_address_refusal("http://[2002:7f00:1::]/feed", False)
    assert literal_address_refusal("https://example.org/feed", False) is None


def test_a_credential_is_refused_on_any_other_origin_before_anything_is_sent() -> None:
    client = GuardedClient(FetchPolicy(), resolver=lambda host, port: ["93.184.216.34"])
    token = Credential(origin_of("https://api.x.com"), {"Authorization": "Bearer t"}, "X API")
    try:
        elsewhere = (
            "http://api.x.com/2/users/1/tweets",  # the same host over plain http
            "https://api.x.com.evil.example/2/users/1/tweets",
            "https://api.x.com:8443/2/users/1/tweets",
        )
        for url in elsewhere:
            with pytest.raises(FetchError, match=r"belongs to https://api\.x\.com:443"):
                client.get(url, credential=token)
    finally:
        client.close()
    assert origin_of("https://API.x.com/") == origin_of("https://api.x.com:443/2")


def test_url_masks_hide_every_query_value_userinfo_and_token_paths() -> None:
    signed = "https://feeds.example.org/v1/feed.xml?key=abc123&sig=Zm9vYmFy&edition=2"
    shown = mask_url_secrets(signed)
    assert "abc123" not in shown and "Zm9vYmFy" not in shown and "=2" not in shown
    assert shown.startswith("https://feeds.example.org/v1/feed.xml?key=")
    token_path = "https://hooks.example.org/feeds/u7Fq2Lx9Pz3Kd8Rw4Yt/rss"
    assert mask_url_secrets(token_path) == f"https://hooks.example.org/feeds/{MASK}/rss"
    assert "hunter22" not in mask_url_secrets("https://ana:hunter22@h.example.org/feed")
    assert mask_url_secrets("https://ghp_token0123456789@h.example.org/") == (
        f"https://{MASK}@h.example.org/"
    )
    slug = "https://www.whitehouse.gov/briefings/2025/02/remarks-by-the-president-on-trade-2025/"
    assert mask_url_secrets(slug) == slug  # a slug with a year is no token
    assert {"abc123", "Zm9vYmFy"} <= url_secrets(signed)
