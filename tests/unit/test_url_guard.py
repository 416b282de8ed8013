"""The webhook URL guard (SSRF): every spelling of a private, loopback, link-local or metadata address is
refused deployed; loopback is allowed only with LOYALTY_WEBHOOKS_ALLOW_LOCAL=1; public https passes."""

from __future__ import annotations

import pytest
from loyalty import url_guard
from loyalty.errors import ValidationFailed
from loyalty.url_guard import check_url


def resolver(*addresses: str):
    """A resolver that answers `addresses` for any name (and records what it was asked)."""
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return list(addresses)

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


PUBLIC = resolver("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")


@pytest.fixture(autouse=True)
def deployed(monkeypatch):
    """Deployed mode unless a test says otherwise (the integration suite's local API sets the variable)."""
    monkeypatch.delenv(url_guard.ALLOW_LOCAL_ENV, raising=False)


def refused(url: str, resolve=PUBLIC) -> str:
    with pytest.raises(ValidationFailed) as caught:
        check_url(url, resolve=resolve)
    (detail,) = caught.value.details
    assert detail["field"] == "url"
    return detail["message"]


REFUSED_LITERALS = [
    "http://10.0.0.1",
    "https://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "https://169.254.169.254",
    "https://169.254.170.2/v2/credentials",
    "http://[::1]",
    "https://[::1]:8443/x",
    "https://[fd00:ec2::254]",
    "https://[fd00:ec2::254]/latest",
    "https://[::ffff:10.0.0.1]/",  # IPv4-mapped IPv6
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[::ffff:a00:1]/",  # the same, in hex
    "https://[2002:a00:1::1]/",  # 6to4 of 10.0.0.1
    "https://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "https://[::10.0.0.1]/",  # IPv4-compatible (deprecated)
    "https://[fe80::1]/",  # link-local
    "https://[ff02::1]/",  # multicast
    "https://[::]/",
    "https://0.0.0.0/",
    "https://127.0.0.1/",
    "https://127.1.2.3/",
    "https://192.168.1.1/",
    "https://172.16.0.1/",
    "https://100.64.0.1/",  # shared address space (carrier NAT)
    "https://224.0.0.1/",  # multicast
    "https://255.255.255.255/",
    "https://240.0.0.1/",  # reserved
    "https://198.51.100.7/",  # documentation
]


@pytest.mark.parametrize("url", REFUSED_LITERALS)
def test_private_loopback_link_local_and_metadata_literals_are_refused(url):
    never = resolver()  # a literal is never resolved
    assert "must not resolve to" in refused(url, resolve=never)
    assert never.asked == []  # type: ignore[attr-defined]


NUMERIC_SPELLINGS = [
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "https://2130706433/",
    "https://0177.0.0.1/",  # octal
    "https://0x7f.0.0.1/",  # hex
    "https://0x7f000001/",
    "https://127.1/",  # fewer parts
    "https://10.1/",
    "https://017700000001/",
    "https://169.254.169.254./",  # a trailing dot makes it a name, still numeric
    "https://1.2.3.04/",
]


@pytest.mark.parametrize("url", NUMERIC_SPELLINGS)
def test_decimal_octal_hex_and_short_ip_spellings_are_refused_unresolved(url):
    never = resolver("127.0.0.1")
    assert "canonical IP address" in refused(url, resolve=never)
    assert never.asked == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "answer",
    [
        ["10.1.2.3"],
        ["192.168.0.10"],
        ["127.0.0.1"],
        ["172.31.255.255"],
        ["169.254.169.254"],
        ["::1"],
        ["fd00:ec2::254"],
        ["::ffff:10.0.0.1"],
        ["fe80::1%eth0"],
        ["93.184.215.14", "10.0.0.5"],  # one private answer among public ones is enough
        ["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:192.168.1.1"],
    ],
)
def test_a_name_resolving_to_any_private_address_is_refused(answer):
    resolve = resolver(*answer)
    assert "must not resolve to" in refused("https://hooks.example.com/in", resolve=resolve)
    assert resolve.asked == [("hooks.example.com", 443)]  # type: ignore[attr-defined]


def test_a_name_that_does_not_resolve_is_refused():
    assert "resolves" in refused("https://nowhere.example.com/", resolve=resolver())
    assert "resolves" in refused("https://nowhere.example.com/", resolve=resolver("not-an-address"))


@pytest.mark.parametrize(
    "url",
    [
        "https://good.com@10.0.0.1/",
        "https://good.com:443@10.0.0.1/",
        "https://user:pass@hooks.example.com/",
        "https://user@hooks.example.com/",
        "https://hooks.example.com@evil.example/",
    ],
)
def test_user_information_is_refused(url):
    assert "user information" in refused(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/",
        "file:///etc/passwd",
        "gopher://hooks.example.com:70/",
        "javascript:alert(1)",
        "dict://127.0.0.1:11211/",
        "hooks.example.com/in",
        "//hooks.example.com/in",
        "http://hooks.example.com/in",  # http, deployed
    ],
)
def test_non_https_schemes_are_refused(url):
    assert "https URL" in refused(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://",
        "https:///path",
        "https://hooks.example.com:99999/",
        "https://hooks.example.com:port/",
        "https://hooks example.com/",
        "https://hooks.example.com/a b",
        "https://hooks.example.com/\n",
        "https://hooks.example.com\\@10.0.0.1/",
        "https://hööks.example.com/",
        "https://under_score.example.com/",
        "https://-leading.example.com/",
        "https://" + "a" * 64 + ".example.com/",
        "https://hooks.example.com/" + "x" * 2048,  # over-long
    ],
)
def test_malformed_and_over_long_urls_are_refused(url):
    refused(url)


def test_the_length_limit_is_2048_characters():
    base = "https://hooks.example.com/"
    assert check_url(base + "x" * (2048 - len(base)), resolve=PUBLIC)
    assert "at most 2048" in refused(base + "x" * (2049 - len(base)))


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/loyalty",
        "https://hooks.example.com:8443/loyalty?tenant=a#frag",
        "https://HOOKS.Example.COM./x",
        "https://93.184.215.14/hook",
        "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook",
        "https://xn--hks-qla.example.com/",
    ],
)
def test_public_https_urls_pass_with_their_addresses(url):
    addresses = check_url(url, resolve=PUBLIC)
    assert addresses and all(url_guard.is_public(__import__("ipaddress").ip_address(a)) for a in addresses)


def test_the_resolver_is_asked_for_the_urls_port():
    resolve = resolver("93.184.215.14")
    check_url("https://hooks.example.com:8443/x", resolve=resolve)
    assert resolve.asked == [("hooks.example.com", 8443)]  # type: ignore[attr-defined]


LOCAL = ["http://127.0.0.1:8080/hook", "https://127.0.0.1/hook", "http://[::1]:9000/", "http://localhost:4000/in"]


@pytest.mark.parametrize("url", LOCAL)
def test_loopback_is_refused_deployed_and_allowed_only_when_serving_locally(url, monkeypatch):
    local_names = resolver("127.0.0.1", "::1")
    deployed_refusal = "https URL" if url.startswith("http://localhost") else "must not resolve to"
    assert deployed_refusal in refused(url, resolve=local_names)
    monkeypatch.setenv(url_guard.ALLOW_LOCAL_ENV, "0")
    assert deployed_refusal in refused(url, resolve=local_names)
    monkeypatch.setenv(url_guard.ALLOW_LOCAL_ENV, "1")
    assert check_url(url, resolve=local_names)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/",
        "https://[fd00:ec2::254]/",
        "http://2130706433/",
        "https://good.com@127.0.0.1/",
        "http://hooks.example.com/",  # http to a public host: still https only
        "ftp://127.0.0.1/",
    ],
)
def test_serving_locally_loosens_nothing_but_loopback(url, monkeypatch):
    monkeypatch.setenv(url_guard.ALLOW_LOCAL_ENV, "1")
    refused(url)


def test_serving_locally_only_localhost_resolving_to_loopback_only_is_local(monkeypatch):
    monkeypatch.setenv(url_guard.ALLOW_LOCAL_ENV, "1")
    assert "must not resolve to" in refused("http://localhost/", resolve=resolver("127.0.0.1", "10.0.0.1"))
    assert "must not resolve to" in refused("https://localhost/", resolve=resolver("10.0.0.1"))
    loopback = resolver("127.0.0.1")
    assert "https URL" in refused("http://dev.example.com/", resolve=loopback)  # another name: never local
    assert "must not resolve to" in refused("https://dev.example.com/", resolve=loopback)
    assert loopback.asked == [("dev.example.com", 443)]  # type: ignore[attr-defined]  # http: never looked up


def test_an_http_url_naming_a_host_is_refused_before_any_lookup():
    never = resolver("93.184.215.14")
    assert "https URL" in refused("http://hooks.example.com/", resolve=never)
    assert never.asked == []  # type: ignore[attr-defined]


def test_the_system_resolver_reads_numeric_spellings_as_loopback_which_is_why_they_are_refused():
    """What the guard defends against: getaddrinfo (inet_aton) reads 2130706433 and 0177.0.0.1 as 127.0.0.1."""
    assert "127.0.0.1" in url_guard.system_resolve("2130706433", 80)
    assert "127.0.0.1" in url_guard.system_resolve("0177.0.0.1", 80)
    assert url_guard.system_resolve("nonexistent.invalid", 80) == []
