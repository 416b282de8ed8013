"""The webhook URL guard (SSRF, contract §13): where the API may send a webhook, at registration and at each attempt.

Deployed (the default) a URL must be `https`, name a host in plain form (a DNS name or a canonical IP
literal, never `http://2130706433` or `http://0177.0.0.1`, which resolvers read as 127.0.0.1), carry no
user information (`https://good.com@10.0.0.1` goes to 10.0.0.1), and every address its host resolves to
must be a public unicast address: not private, loopback, link-local, multicast, reserved, unspecified,
shared (100.64/10) or a cloud metadata address, also when the address is an IPv4 one inside IPv6
(`::ffff:10.0.0.1`, 6to4, Teredo, NAT64, IPv4-compatible). `check_url` answers the resolved addresses.

With `LOYALTY_WEBHOOKS_ALLOW_LOCAL=1` (`make serve`, `loyalty invoke` and the integration suite set it)
`http` and `https` to loopback (a loopback literal such as `127.0.0.1` or `[::1]`, or `localhost` resolving
only to loopback) are allowed as well, so a receiver on the developer's machine gets the webhooks; nothing
else is loosened (another name is judged as deployed). An `http` URL naming any other host is refused
before its name is looked up. The resolver is injectable (`resolve=`)
for tests; the default asks the system's (`getaddrinfo`).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from loyalty.errors import ValidationFailed

ALLOW_LOCAL_ENV = "LOYALTY_WEBHOOKS_ALLOW_LOCAL"
MAX_URL_LENGTH = 2048
FIELD = "url"
# Instance metadata and credential endpoints of the clouds (all non-public anyway; named so a change of
# Python's address tables can never let them through).
METADATA = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "fd00:ec2::23", "100.100.100.200")
)
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")

LOCALHOST = "localhost"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]


def allow_local() -> bool:
    """Whether this process serves locally (`LOYALTY_WEBHOOKS_ALLOW_LOCAL=1`): loopback receivers allowed."""
    return os.environ.get(ALLOW_LOCAL_ENV) == "1"


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(details=[{"field": FIELD, "message": message}])


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for `host` (IPv4 and IPv6)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in found]


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo client, NAT64, IPv4-compatible), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """A public unicast address a webhook may go to (and so is any IPv4 address it carries)."""
    if address in METADATA or not address.is_global:
        return False
    if address.is_multicast or address.is_reserved or address.is_link_local or address.is_unspecified:
        return False
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return False
    if isinstance(address, ipaddress.IPv6Address) and (address.is_site_local or address in _IPV4_COMPATIBLE):
        return False  # deprecated forms: never a receiver's address
    inner = embedded_ipv4(address)
    return inner is None or is_public(inner)


def is_loopback(address: Address) -> bool:
    inner = embedded_ipv4(address)
    return address.is_loopback or (inner is not None and inner.is_loopback)


def _literal(host: str) -> Address | None:
    """The host as an IP literal (IPv6 came in brackets), None for a name; a numeric spelling that is
    not a canonical dotted quad (decimal, octal, hex, fewer parts) is refused."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        raise _refuse("must name its host as a DNS name or a canonical IP address (a.b.c.d or [IPv6])")
    return None


def _check_name(host: str) -> None:
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _refuse("must name a valid host")


def check_url(url: str, *, resolve: Resolver | None = None) -> list[str]:
    """The addresses a webhook to `url` may be sent to now; a 400 validation_error (field `url`) when it
    may not be sent there at all (see the module's docstring for the rules)."""
    if not isinstance(url, str) or not url:
        raise _refuse("must be a URL")
    if len(url) > MAX_URL_LENGTH:
        raise _refuse(f"must be at most {MAX_URL_LENGTH} characters long")
    if not url.isascii() or re.search(r"[\x00-\x20\x7f\\]", url):
        raise _refuse("must be an absolute URL of printable ASCII characters, without spaces or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("must be a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _refuse("must be an https URL")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise _refuse("must not carry user information (user:password@)")
    host = parts.hostname
    if not host:
        raise _refuse("must name a host")
    local_mode = allow_local()
    literal = _literal(host)
    if literal is None:
        _check_name(host)
        if scheme != "https" and not (local_mode and host.rstrip(".") == LOCALHOST):
            raise _refuse("must be an https URL")  # decided before any lookup
        found = (resolve or system_resolve)(host, port or (443 if scheme == "https" else 80))
        try:
            addresses = [ipaddress.ip_address(str(address).split("%", 1)[0]) for address in found]
        except ValueError:
            raise _refuse("must name a host that resolves to IP addresses") from None
        if not addresses:
            raise _refuse("must name a host that resolves")
    else:
        addresses = [literal]
    local_host = literal is not None or host.rstrip(".") == LOCALHOST  # another name is never local
    if local_mode and local_host and all(is_loopback(address) for address in addresses):
        return [str(address) for address in addresses]  # a receiver on this machine, while serving locally
    for address in addresses:
        if not is_public(address):
            raise _refuse(f"must not resolve to a private, loopback, link-local or metadata address ({address})")
    if scheme != "https":
        raise _refuse("must be an https URL")
    return [str(address) for address in addresses]
