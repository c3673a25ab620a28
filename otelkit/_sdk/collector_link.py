"""The link to the collector: what it answered last, and requests that never outwait a flush.

The SDK's OTLP/HTTP client retries a refused connection and a 429/5xx with exponential
backoff (1 s, 2 s, 4 s…) up to the export timeout. On Lambda that turned a dead collector
into +5 s per invocation, and every process exit waited as long. otelkit gives the SDK
exporters a ``requests`` session of its own (``CollectorSession``) that:

* sends at most once per export, within the deadline of the flush that asked for it
  (``within(deadline)``), and never retries: the outbox keeps the batch and tries again
  at the next flush;
* remembers how the collector answered (``CollectorLink``): a refused or timed-out
  connection, or a 429/502/503/504, pauses sending for a while (``Retry-After`` when the
  collector gives one), and every export in the pause fails at once without touching the
  network.

What each answer does:

============================  ==================================================
collector answers             otelkit does
============================  ==================================================
2xx                           delivered
429, 502, 503, 504            batch kept for the next flush; pause for
                              ``Retry-After`` (1 s if absent, 30 s at most)
connection refused / reset    batch kept; pause 2 s, then one probe export
no answer within the deadline batch dropped (counted: it may have arrived); pause
                              5 s
any other status (400, 500…)  batch dropped and counted: sending it again
                              would fail again
============================  ==================================================

Each failure in a row doubles the pause, up to a minute; one delivered batch resets it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import requests

#: Statuses that mean "not now": the batch is kept and sending pauses.
RETRY_LATER_STATUSES = frozenset({429, 502, 503, 504})
#: Pause after a refused connection before one export probes the collector again.
REFUSED_PAUSE = 2.0
#: Pause after a request that got no answer in time (a blackholed or hung collector).
TIMEOUT_PAUSE = 5.0
#: Pause after a 429/5xx without a usable ``Retry-After``, and the longest one honoured.
DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER = 1.0, 30.0
#: The longest pause after failures in a row.
MAX_PAUSE = 60.0
#: Collector URLs whose environment settings and ``.netrc`` entry a session remembers.
MAX_REMEMBERED_URLS = 8

_deadline = threading.local()


@contextlib.contextmanager
def within(deadline: float) -> Iterator[None]:
    """Bound every collector request made in this thread by ``deadline`` (monotonic)."""
    previous = getattr(_deadline, "value", None)
    _deadline.value = deadline
    try:
        yield
    finally:
        _deadline.value = previous


class CollectorUnavailable(Exception):  # noqa: N818 - a state, not a bug
    """Raised instead of sending: the collector is paused or the deadline passed.

    Deliberately not a ``requests`` connection error, so the SDK's client gives up on the
    batch at once instead of retrying with backoff.
    """


class CollectorLink:
    """What the collector answered last, shared by the three signals' exporters.

    ``outcome`` is per thread: the outbox that called ``export()`` reads the answer to
    its own request right after.
    """

    def __init__(self) -> None:
        self._paused_until = 0.0
        self._strikes = 0  # failures in a row: each one doubles the pause
        self._local = threading.local()

    def paused_for(self) -> float:
        """Seconds until the collector may be tried again (0 when it may be now)."""
        return max(0.0, self._paused_until - time.monotonic())

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds``, doubled for each failure in a row (at most
        ``MAX_PAUSE``): a collector that stays away costs one probe now and then."""
        seconds = min(seconds * 2 ** min(self._strikes, 6), MAX_PAUSE)
        self._strikes += 1
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def resume(self) -> None:
        self._paused_until = 0.0
        self._strikes = 0

    @property
    def outcome(self) -> str:
        """How the last request of this thread went: ``ok``, ``retry`` (batch kept),
        or the reason the batch was dropped."""
        return getattr(self._local, "outcome", "ok")

    @outcome.setter
    def outcome(self, value: str) -> None:
        self._local.outcome = value


class CollectorSession(requests.Session):
    """A ``requests`` session for the SDK's OTLP/HTTP exporters that asks once, within
    the current flush's deadline, and remembers the answer (see the module docs)."""

    def __init__(self, link: CollectorLink) -> None:
        super().__init__()
        self.link = link
        self._environment_settings: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._netrc: dict[str, tuple[str, str] | None] = {}

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """requests looks for a ``.netrc`` entry on every request (file system calls): for
        a collector URL the answer is read once. With no entry the request gets an auth
        that changes nothing, so requests does not look again."""
        if self.trust_env and not request.auth and not self.auth:
            url = str(request.url)
            if url not in self._netrc:
                if len(self._netrc) >= MAX_REMEMBERED_URLS:
                    self._netrc.clear()
                self._netrc[url] = requests.utils.get_netrc_auth(url)
            request.auth = self._netrc[url] or _unchanged
        return super().prepare_request(request)

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        """requests' settings from the environment (proxies, CA bundle), read once per
        collector URL: requests reads them for every request, scanning every variable of
        the environment twice, which cost a Lambda flush more than encoding the spans."""
        if proxies:  # proxies given per request (the exporters give none): as requests does
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        key = (url, stream, verify, cert)
        try:
            settings = self._environment_settings.get(key)
        except TypeError:  # an unhashable setting: nothing to remember it by
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if len(self._environment_settings) >= MAX_REMEMBERED_URLS:
                self._environment_settings.clear()
            self._environment_settings[key] = settings
        return {**settings, "proxies": dict(settings["proxies"])}

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        link = self.link
        if link.paused_for() > 0:
            link.outcome = "retry"
            raise CollectorUnavailable("collector paused after its last answer")
        deadline = getattr(_deadline, "value", None)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0.001:
                link.outcome = "retry"
                raise CollectorUnavailable("the flush deadline has passed")
            given = kwargs.get("timeout")
            kwargs["timeout"] = min(given, left) if isinstance(given, (int, float)) else left
        try:
            response = super().request(str(method), str(url), *args, **kwargs)
        except requests.Timeout as exc:  # includes a connect timeout: nobody answered
            link.outcome = "no answer in time"
            link.pause(TIMEOUT_PAUSE)
            raise CollectorUnavailable(str(exc)) from exc
        except requests.ConnectionError as exc:  # refused, reset, unknown host
            link.outcome = "retry"
            link.pause(REFUSED_PAUSE)
            raise CollectorUnavailable(str(exc)) from exc
        status = response.status_code
        if status < 300:
            link.outcome = "ok"
            link.resume()
        elif status in RETRY_LATER_STATUSES:
            link.outcome = "retry"
            link.pause(retry_after(response.headers.get("Retry-After")))
            raise CollectorUnavailable(f"collector answered {status}")
        else:
            link.outcome = f"refused by collector (HTTP {status})"
        return response


def _unchanged(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def retry_after(value: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), bounded."""
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
    if seconds != seconds:  # NaN
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
