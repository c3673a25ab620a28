"""A one-view Django site for the django integration test: settings made in code, no
database, the URL conf in this module."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path


def item(request: HttpRequest, item_id: int) -> JsonResponse:
    return JsonResponse({"item": item_id})


urlpatterns: list[Any] = [path("items/<int:item_id>", item)]


def configure_settings() -> None:
    """Configure Django for this site once per process (Django's settings are global)."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            ALLOWED_HOSTS=["127.0.0.1"],
            ROOT_URLCONF=__name__,
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            SECRET_KEY="only-for-this-test-site",  # not a secret: required by Django
        )
