"""Countries only with an operator's GeoIP database: looked up at flush, the address never kept."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from koe.analytics import capture, rollup
from koe.analytics.models import DailyBreakdown, Hit
from tests.agents import WINDOWS
from tests.conftest import publish

DASHBOARD = "/dashboard/analytics/"
# Documentation networks (RFC 5737 and 3849) stand for Japan, the United States and Germany.
NETWORKS = {"203.0.113.0/24": "JP", "198.51.100.0/24": "US", "2001:db8::/32": "DE"}


def make_mmdb(path) -> None:
    """A tiny MaxMind-format country database, shaped like GeoLite2-Country's records."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="Koe-Test-Country")
    for network, code in NETWORKS.items():
        writer.insert_network(IPSet([network]), {"country": {"iso_code": code}})
    writer.to_db_file(str(path))


@pytest.fixture(autouse=True)
def _fresh(settings):
    capture._salts.clear()
    capture._geoip_reader.cache_clear()
    yield
    capture._salts.clear()
    capture._geoip_reader.cache_clear()


@pytest.fixture
def geoip(settings, tmp_path):
    path = tmp_path / "countries.mmdb"
    make_mmdb(path)
    settings.KOE_GEOIP_PATH = str(path)
    return path


@pytest.fixture
def post(alice):
    alice.time_zone = "Asia/Tokyo"
    alice.save()
    return publish(alice, title="Read abroad")


def visit(url, ip, at):
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=WINDOWS, HTTP_ACCEPT_LANGUAGE="ja")
    with mock.patch("koe.analytics.capture._now", return_value=at.timestamp()):
        assert client.get(url).status_code == 200


def readers(post):
    now = timezone.now()
    url = post.get_absolute_url()
    for ip in ("203.0.113.5", "203.0.113.6", "198.51.100.7", "2001:db8::1", "192.0.2.9"):
        visit(url, ip, now)
    rollup.rollup(now=now + timedelta(minutes=1))


def stored_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM analytics_hit")
        return repr(cursor.fetchall())


def test_each_view_gets_its_country_and_no_address_is_stored(geoip, post):
    readers(post)
    assert sorted(Hit.objects.values_list("country", flat=True)) == ["", "DE", "JP", "JP", "US"]
    text = stored_text()
    assert "203.0.113" not in text and "198.51.100" not in text and "2001:db8" not in text
    rows = DailyBreakdown.objects.filter(dimension="country").values_list("value", "views")
    assert sorted(rows) == [("DE", 1), ("JP", 2), ("US", 1)]  # the unknown one is left out


def test_the_dashboard_lists_countries_with_flags_and_a_csv(geoip, post, alice_client):
    readers(post)
    response = alice_client.get(DASHBOARD + "?range=today")
    lists = {name: [(r["label"], r["views"]) for r in rows]
             for name, _title, rows in response.context["lists"]}  # fmt: skip
    assert lists["countries"] == [("🇯🇵 JP", 2), ("🇩🇪 DE", 1), ("🇺🇸 US", 1)]
    assert "Countries" in response.content.decode()
    download = alice_client.get(DASHBOARD + "?range=today&format=csv&table=countries")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[1:] == [["🇯🇵 JP", "2", "2"], ["🇩🇪 DE", "1", "1"], ["🇺🇸 US", "1", "1"]]


def test_without_a_database_no_country_is_looked_up_or_shown(settings, post, alice_client):
    settings.KOE_GEOIP_PATH = ""
    readers(post)
    assert set(Hit.objects.values_list("country", flat=True)) == {""}
    response = alice_client.get(DASHBOARD + "?range=today")
    assert "countries" not in [name for name, _title, _rows in response.context["lists"]]
    assert "Countries" not in response.content.decode()
    download = alice_client.get(DASHBOARD + "?range=today&format=csv&table=countries")
    assert download.status_code == 400


def test_a_missing_or_broken_database_only_leaves_countries_out(settings, tmp_path, post):
    broken = tmp_path / "broken.mmdb"
    broken.write_bytes(b"not a MaxMind database")
    for path in (tmp_path / "absent.mmdb", broken):
        capture._geoip_reader.cache_clear()
        settings.KOE_GEOIP_PATH = str(path)
        assert capture.country_of("203.0.113.5") == ""
    readers(post)  # views are still counted
    assert Hit.objects.count() == 5
    assert set(Hit.objects.values_list("country", flat=True)) == {""}


def test_odd_addresses_and_records_give_no_country(geoip):
    assert capture.country_of("203.0.113.5") == "JP"
    assert capture.country_of("not an address") == ""
    assert capture.country_of("") == ""
    assert capture.country_of("192.0.2.1") == ""  # not in the database
