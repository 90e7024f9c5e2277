"""The demo's example past crisis: in the archive, made once, with no banner and nobody notified."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from koe.crisis import demo
from koe.crisis.models import Crisis
from koe.social import follows
from koe.social.models import Notification
from tests.conftest import make_user


def test_populate_makes_one_past_crisis_in_the_archive(db, django_capture_on_commit_callbacks):
    people = {
        name: make_user(name) for name in ("kyoto_sanpo", "neko_nikki", "trail_notes", "demo")
    }
    follows.do_follow(people["demo"], people["neko_nikki"].blog)
    lines = []
    with django_capture_on_commit_callbacks(execute=True):
        crisis = demo.populate(lines.append)
    assert not crisis.is_active
    assert timezone.now() - crisis.started_at > timedelta(days=20)
    assert crisis.started_at < crisis.ended_at < timezone.now() - timedelta(days=20)
    assert crisis.alerts.count() == 3 and crisis.alerts.filter(pinned=True).count() == 1
    assert crisis.checkins.count() == 2
    found = crisis.searches.get(name="neko_nikki")
    assert found.is_found and found.found_checkin.user == people["neko_nikki"]
    assert "3 alerts" in lines[0]
    # Nobody is told, weeks later, that a demo person is safe.
    assert not Notification.objects.filter(kind=Notification.Kind.SAFETY).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert demo.populate(lines.append) == crisis
    assert Crisis.objects.count() == 1 and "already there" in lines[1]

    reader = Client()
    assert 'class="crisis-banner"' not in reader.get("/").content.decode()
    assert demo.NAME in reader.get("/crisis/archive/").content.decode()
    hub = reader.get(crisis.get_absolute_url()).content.decode()
    assert "大雨特別警報" in hub and "第一小学校体育館" in hub and "猫たちもみんな無事です" in hub
