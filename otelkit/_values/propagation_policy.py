"""Where trace context and IDs may go: the propagation policy ``configure()`` sets.

``propagate_to`` host patterns extend the internal hosts that receive trace headers over
HTTP; ``private_ids`` never leave the process. The active pipeline holds the policy.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from otelkit._values.keys import PRIVATE_ID_KEYS, WELL_KNOWN_ID_KEYS
from otelkit._values.trust import DEFAULT_TRUST, Trust, build_trust

#: Host patterns that count as internal when ``propagate_to`` is not set.
DEFAULT_INTERNAL_HOSTS: tuple[str, ...] = (
    "localhost",
    "*.localhost",
    "*.internal",
    "*.local",
    "*.svc",
    "*.svc.cluster.local",
    "*.consul",
)


class Policy(NamedTuple):  # not a dataclass: defined at every cold start
    """Where trace context and IDs may go, and which IDs never leave."""

    internal_hosts: tuple[str, ...] = DEFAULT_INTERNAL_HOSTS
    private_ids: frozenset[str] = PRIVATE_ID_KEYS
    trust: Trust = DEFAULT_TRUST
    proxies: Trust = DEFAULT_TRUST  # whose X-Forwarded-For hop is believed for client_ip
    reissue_untrusted_ids: bool = False  # an untrusted caller's correlation ID is replaced

    def is_internal(self, host: str) -> bool:
        """Whether ``host`` (name or IP literal) may receive trace context and IDs."""
        host = host.strip("[]").lower()
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.internal_hosts)
        if address.is_loopback or (address.is_private and not address.is_link_local):
            return True
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.internal_hosts)

    def public_ids(self, ids: Mapping[str, str]) -> dict[str, str]:
        """The bound IDs that may leave the process: well-known keys that are not private.

        The same keys are the only ones read back from incoming baggage, so what one
        service sends is exactly what the next one binds; other keys stay in-process.
        """
        return {
            k: v for k, v in ids.items() if k in WELL_KNOWN_ID_KEYS and k not in self.private_ids
        }


def build_policy(
    propagate_to: Iterable[str] | None,
    private_ids: Iterable[str] | None,
    trusted_callers: Iterable[str] | None = None,
    *,
    trusted_proxies: Iterable[str] | None = None,
    untrusted_correlation_ids: str = "accept",
) -> Policy:
    """A policy from ``configure()`` options: ``propagate_to`` patterns extend the default
    internal hosts; ``private_ids``, when given, replaces the default private keys;
    ``trusted_callers`` says whose incoming context is believed (``_trust``)."""
    extra = tuple(p.strip().lower() for p in propagate_to or () if p.strip())
    return Policy(
        internal_hosts=DEFAULT_INTERNAL_HOSTS + extra,
        private_ids=PRIVATE_ID_KEYS
        if private_ids is None
        else frozenset(k.strip() for k in private_ids if k.strip()),
        trust=build_trust(trusted_callers),
        proxies=build_trust(trusted_proxies),
        reissue_untrusted_ids=untrusted_correlation_ids == "reissue",
    )
