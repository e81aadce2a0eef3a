from __future__ import annotations

import logging

import pytest
from django.test import RequestFactory

from shared_apps.audit.models import SecurityEvent
from shared_apps.audit.security import security_event_record
from tests.factories import make_user


@pytest.mark.django_db
def test_event_is_stored_and_logged_as_one_structured_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = make_user(email="who@example.test")
    request = RequestFactory().get("/", HTTP_USER_AGENT="Firefox/200", REMOTE_ADDR="192.0.2.9")
    with caplog.at_level(logging.INFO, logger="security"):
        event = security_event_record(
            kind="login",
            request=request,
            user=user,
            data={"method": "password", "password": "hunter2-secret", "token": "t0ps3cret"},
        )
    stored = SecurityEvent.objects.get(pk=event.pk)
    assert (stored.kind, stored.ip, stored.user_agent, stored.email) == (
        "login",
        "192.0.2.9",
        "Firefox/200",
        "who@example.test",
    )
    assert stored.data == {"method": "password"}
    [line] = [r.getMessage() for r in caplog.records if r.name == "security"]
    assert line.startswith("security_event event=login ")
    assert f"user_id={user.pk}" in line
    assert "ip=192.0.2.9" in line
    assert "data_method=password" in line
    assert "hunter2" not in line
    assert "t0ps3cret" not in line
