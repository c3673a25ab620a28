"""Every public name reports a public module, where a reader can import it from.

``otelkit.integrations`` is not listed: its modules are switched on by
``configure(instrument=...)`` and offer no names to import.
"""

from __future__ import annotations

import importlib
import inspect
import pickle

import pytest

import otelkit
from otelkit._public import private

PUBLIC_MODULES = [
    "otelkit",
    "otelkit.aws",
    "otelkit.testing",
    "otelkit.middleware.asgi",
    "otelkit.middleware.wsgi",
    "otelkit.collector",
    "otelkit.ops",
    "otelkit.runtime",
    "otelkit.redis_heartbeat",
    "otelkit.aws.correlation_paths",
]


def public_names(module_name: str) -> list[tuple[str, object]]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:  # no __all__: the names defined or imported without an underscore
        names = [name for name in vars(module) if not name.startswith("_")]
    return [(name, getattr(module, name)) for name in names]


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_class_and_function_reports_a_public_module(module_name: str) -> None:
    wrong = {
        name: value.__module__
        for name, value in public_names(module_name)
        if (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__.startswith("otelkit")
        and private(value.__module__)
    }
    assert wrong == {}


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_the_reported_module_holds_the_name(module_name: str) -> None:
    for _, value in public_names(module_name):
        if (inspect.isclass(value) or inspect.isfunction(value)) and value.__module__.startswith(
            "otelkit"
        ):
            home = importlib.import_module(value.__module__)
            assert getattr(home, value.__qualname__) is value


def test_types_users_annotate_with_are_public() -> None:
    with otelkit.job("nightly-import") as job:
        assert isinstance(job, otelkit.Job)
    with otelkit.session("user-42") as session:
        assert isinstance(session, otelkit.Session)
    assert isinstance(otelkit.get_logger("annotated"), otelkit.Logger)
    assert repr(otelkit.Job) == "<class 'otelkit.Job'>"


def test_public_functions_pickle_by_their_public_name() -> None:
    assert pickle.loads(pickle.dumps(otelkit.configure)) is otelkit.configure
    assert b"otelkit._" not in pickle.dumps(otelkit.configure)


def test_the_check_sees_a_private_module() -> None:
    assert private("otelkit._setup")
    assert private("otelkit.aws._lambda")
    assert not private("otelkit.testing")
