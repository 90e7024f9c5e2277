"""An example past crisis for `koe demo`, made through the crisis hub's own actions.

Koe itself declares and ends it (no staff account: the demo makes none). The actions stamp
everything with the present, so the finished record is then moved back a few weeks as a
whole; a second run finds it by name and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from koe.crisis import reports, safety, services
from koe.crisis.models import Alert, CheckIn, Crisis, LookingFor, Report, ReportVote

NAME = "九州北部豪雨（デモ）"
#: How long ago the example crisis began, and how long it lasted.
AGO = timedelta(days=24)
LASTED = timedelta(hours=2)

ALERTS = [
    (
        "大雨特別警報が発表されました。命を守る行動をとってください。"
        "Heavy rain emergency warning: act now to save your life.",
        True,
    ),
    (
        "朝倉市の避難所は第一小学校・市民センターです。Shelters in Asakura: "
        "Daiichi Elementary School and the Civic Centre.",
        False,
    ),
    ("JR久大本線は終日運転を見合わせます。The JR Kyudai Line is suspended all day.", False),
]
CHECKINS = {
    "kyoto_sanpo": ("無事です。実家も大丈夫でした。", "日田"),
    "neko_nikki": ("猫たちもみんな無事です🐈", "朝倉"),
    "side_b_radio": ("Safe, staying with friends in Fukuoka.", "Fukuoka"),
    "cafe_hinata": ("", "福岡市"),
}
#: (seeker, name sought, area, note)
SEARCHES = [
    ("trail_notes", "neko_nikki", "朝倉", "Haven't heard from her since the morning."),
    ("ramen_michi", "山本 和子", "日田", "祖母です。日田市内の自宅にいるはずです。"),
]
#: (writer, kind, status, place, subject, area, minutes after the start, confirmers)
REPORTS = [
    ("tokyo_dev", "transit", "stopped", "JR久大本線", "", "日田", 20, ["kyoto_sanpo", "demo"]),
    ("trail_notes", "transit", "delayed", "Nishitetsu Amagi Line", "", "Asakura", 40, []),
    ("cafe_hinata", "supplies", "running_out", "朝倉市役所", "飲料水", "朝倉", 60, ["neko_nikki"]),
    ("light_and_grain", "supplies", "available", "Civic Centre", "Blankets", "Asakura", 80, []),
    ("kyoto_sanpo", "shelter", "full", "朝倉市", "第一小学校体育館", "朝倉", 100, ["tokyo_dev"]),
    ("neko_nikki", "shelter", "open", "日田市", "市民センター", "日田", 110, ["demo"]),
]


def _people(usernames) -> dict:
    User = get_user_model()
    return {u.username: u for u in User.objects.filter(username__in=set(usernames))}


def populate(progress: Callable[[str], None] = lambda line: None) -> Crisis:
    """Make the example past crisis unless it exists; report one line."""
    existing = Crisis.objects.filter(name=NAME).first()
    if existing is not None:
        progress(f"Crisis archive: {NAME} (already there)")
        return existing
    names = list(CHECKINS) + [s[0] for s in SEARCHES] + [r[0] for r in REPORTS]
    names += [c for r in REPORTS for c in r[7]]
    people = _people(names)
    with transaction.atomic():
        crisis = _build(people)
    progress(
        f"Crisis archive: {NAME}, {crisis.alerts.count()} alerts, "
        f"{crisis.checkins.count()} check-ins, {crisis.reports.count()} reports"
    )
    return crisis


def _build(people: dict) -> Crisis:
    start = timezone.now() - LASTED
    crisis = services.do_declare(
        None, name=NAME, area="福岡県・大分県", started_at=start, areas="朝倉, 日田"
    )
    for body, pinned in ALERTS:
        services.do_post_alert(None, crisis, body=body, pinned=pinned)
    for seeker, name, area, note in SEARCHES:
        if seeker in people:
            safety.do_look_for(people[seeker], crisis, name=name, area=area, note=note)
    for username, (message, area) in CHECKINS.items():
        if username in people:
            # Weeks later, nobody needs telling.
            safety.do_check_in(people[username], crisis, message=message, area=area, tell=False)
    for writer, kind, status, place, subject, area, minutes, confirmers in REPORTS:
        if writer not in people:
            continue
        report = reports.do_report(
            people[writer],
            crisis,
            kind=kind,
            status=status,
            place=place,
            subject=subject,
            area=area,
            observed_at=start + timedelta(minutes=minutes),
        )
        for name in confirmers:
            if name in people and name != writer:
                reports.do_vote(people[name], report, "confirm")
    services.do_end(crisis, None)
    _move_back(crisis, AGO)
    crisis.refresh_from_db()
    return crisis


def _move_back(crisis: Crisis, by: timedelta) -> None:
    """Shift the whole record into the past, keeping its times relative to one another."""
    Crisis.objects.filter(pk=crisis.pk).update(
        started_at=F("started_at") - by,
        ended_at=F("ended_at") - by,
        created_at=F("created_at") - by,
    )
    Alert.objects.filter(crisis=crisis).update(created_at=F("created_at") - by)
    CheckIn.objects.filter(crisis=crisis).update(
        created_at=F("created_at") - by, updated_at=F("updated_at") - by
    )
    LookingFor.objects.filter(crisis=crisis).update(created_at=F("created_at") - by)
    LookingFor.objects.filter(crisis=crisis, found_at__isnull=False).update(
        found_at=F("found_at") - by
    )
    Report.objects.filter(crisis=crisis).update(
        observed_at=F("observed_at") - by, created_at=F("created_at") - by
    )
    ReportVote.objects.filter(report__crisis=crisis).update(created_at=F("created_at") - by)
