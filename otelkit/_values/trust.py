"""Who may hand this service a trace context and IDs: the inbound trust model.

Trace context, baggage and correlation headers are plain request headers: anyone on the
internet can send ``baggage: user_id=admin`` or a ``traceparent`` that says "not
sampled". A *trusted caller* is one whose headers are believed. ``trusted_callers``
(``OTELKIT_TRUSTED_CALLERS``) says who that is:

* ``private`` (default): the socket peer is a loopback or private address (or unknown,
  as behind an ALB invoking a Lambda function) and no ``X-Forwarded-For`` hop is a public
  address. A service reached only from inside the VPC trusts its callers; a request that
  came through a load balancer from the internet is not trusted.
* ``all`` or ``none``.
* A list of addresses and networks (``10.1.0.0/16,192.0.2.7``): the peer must be in one,
  and every forwarded hop in one or private.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import NamedTuple

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
#: The keywords ``trusted_callers`` takes besides a list of networks.
TRUST_MODES = ("private", "all", "none")
# More forwarded hops than any real proxy chain has: the header is not believed.
_MAX_HOPS = 16


def _address(text: str) -> Address | None:
    text = text.strip().strip("[]")
    if text.count(":") == 1:  # "203.0.113.7:5123": an IPv4 address with its port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _is_private(address: Address) -> bool:
    return address.is_loopback or (address.is_private and not address.is_link_local)


class Trust(NamedTuple):  # not a dataclass: defined at every cold start
    """The inbound trust rule in force."""

    mode: str = "private"
    networks: tuple[Network, ...] = ()

    def _allowed(self, address: Address) -> bool:
        if self.networks:
            return any(address in network for network in self.networks)
        return _is_private(address)

    def trusts(self, peer: str | None, forwarded_for: str | None) -> bool:
        """Whether a request from ``peer`` (socket address; None when the platform does
        not say) carrying ``X-Forwarded-For: forwarded_for`` is a trusted caller."""
        if self.mode in ("all", "none"):
            return self.mode == "all"
        if peer is not None:
            address = _address(peer)
            if address is None or not self._allowed(address):
                return False
        elif self.networks:
            return False  # an explicit list needs a peer to check against it
        hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
        if len(hops) > _MAX_HOPS:
            return False
        for hop in hops:
            address = _address(hop)
            if address is None or not (_is_private(address) or self._allowed(address)):
                return False
        return True

    def client(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The caller's address when this rule says who the proxies are: the rightmost
        ``X-Forwarded-For`` hop not added by one of them (hops further left are whatever
        the client chose to send), else the peer. None peer: a platform's proxy."""
        forwarded = (forwarded_for or "").strip()
        hops = [hop.strip() for hop in forwarded.split(",")[-_MAX_HOPS:]] if forwarded else []
        current = peer
        while hops and (current is None or self._is_proxy(current)):
            current = hops.pop()
            if not current:
                return None  # an empty hop: the chain cannot be read
        return current

    def _is_proxy(self, text: str) -> bool:
        if self.mode in ("all", "none"):
            return self.mode == "all"
        address = _address(text)
        return address is not None and self._allowed(address)


DEFAULT_TRUST = Trust()


def build_trust(values: Iterable[str] | None) -> Trust:
    """The rule from ``trusted_callers``: one keyword, or addresses and networks.

    Raises:
        ValueError: an entry is neither a keyword nor an address or network.
    """
    entries = [v.strip().lower() for v in values or () if v.strip()]
    if not entries:
        return DEFAULT_TRUST
    if len(entries) == 1 and entries[0] in TRUST_MODES:
        return Trust(entries[0])
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"trusted_callers entry {entry!r} is not one of {', '.join(TRUST_MODES)} "
                "nor an IP address or network such as 10.0.0.0/8"
            ) from None
    return Trust("networks", tuple(networks))
