"""otelkit reads the common ``traceparent`` itself (``W3CTraceContext``): whatever a
carrier holds, the parent it finds is the one the SDK's W3C propagator finds."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from otelkit._correlation.propagation import LOWERCASE_GETTER, W3CTraceContext


def _hex(bits: int) -> st.SearchStrategy[str]:
    """Lower-case hex of ``bits`` bits, zero-padded (zero itself now and then)."""
    return st.integers(0, 2**bits - 1).map(lambda value: f"{value:0{bits // 4}x}")


# Headers around the canonical form: right and wrong versions, zero IDs, upper case,
# padding, a suffix, wrong lengths, and anything at all.
_canonical = st.builds(
    lambda version, trace_id, span_id, flags: f"{version}-{trace_id}-{span_id}-{flags}",
    st.one_of(st.just("00"), st.sampled_from(["01", "fe", "ff", "0g"])),
    st.one_of(_hex(128), _hex(124), _hex(128).map(str.upper)),
    st.one_of(_hex(64), _hex(64).map(str.upper)),
    st.one_of(_hex(8), _hex(8).map(str.upper)),
)
_headers = st.one_of(
    _canonical,
    _canonical.map(str.upper),
    _canonical.map(lambda header: f" {header}\t"),
    _canonical.map(lambda header: header + "-extra"),
    st.text(max_size=70),
)
_carriers = st.fixed_dictionaries(
    {"traceparent": st.one_of(_canonical, _headers, st.lists(_headers, min_size=1, max_size=2))},
    optional={"tracestate": st.sampled_from(["vendor=value", "", "=broken"])},
)


def _parent(propagator: Any, carrier: dict[str, Any], context: Context) -> Any:
    found = propagator.extract(carrier, context, LOWERCASE_GETTER)
    return found, trace.get_current_span(found).get_span_context()


@settings(max_examples=600, deadline=None)
@given(carrier=_carriers)
@example(carrier={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
@example(carrier={"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"})
@example(carrier={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-00"})
@example(carrier={"traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"})
@example(carrier={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"})
@example(carrier={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"})
@example(
    carrier={
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "tracestate": "vendor=value",
    }
)
@example(carrier={})
def test_the_parent_is_the_sdks(carrier: dict[str, Any]) -> None:
    context = Context({"kept": "value"})
    ours, our_parent = _parent(W3CTraceContext(), carrier, context)
    sdk, sdk_parent = _parent(TraceContextTextMapPropagator(), carrier, context)
    assert our_parent == sdk_parent
    assert ours.get("kept") == sdk.get("kept") == "value"
    if not sdk_parent.is_valid:
        assert ours is context, "no parent found: the context comes back as it was"


def test_the_common_header_takes_the_direct_path() -> None:
    carrier = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}

    class Refusing(TraceContextTextMapPropagator):
        def extract(self, *args: Any, **kwargs: Any) -> Context:
            raise AssertionError("the SDK's path was taken")

    class Direct(W3CTraceContext, Refusing):
        pass

    _, parent = _parent(Direct(), carrier, Context())
    assert (parent.trace_id, parent.span_id, parent.is_remote) == (
        0x4BF92F3577B34DA6A3CE929D0E0E4736,
        0x00F067AA0BA902B7,
        True,
    )
    assert parent.trace_flags.sampled
