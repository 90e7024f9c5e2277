"""Official blogs and a top blogger in the demo, made through the official app's actions.

The decisions are Koe's own (no staff account: the demo makes none), and a blog already
decided is left as it is, so a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from koe.official import services as official_services
from koe.official.models import OfficialApplication

#: username → (category, real name, evidence): approved.
OFFICIAL = {
    "side_b_radio": (
        "musician",
        "Leo Park",
        "Host of Side B Radio. Official site: https://sidebradio.example/ — the about page "
        "links to this blog. Label page: https://records.example/artists/leo-park",
    ),
    "kyoto_sanpo": (
        "writer",
        "ゆう（旅行作家）",
        "著書の版元ページにこのブログへのリンクがあります: https://books.example/authors/yu\n"
        "公式サイト: https://kyoto-sanpo.example/",
    ),
    "light_and_grain": (
        "creator",
        "Mika Laurent",
        "Portfolio: https://mikalaurent.example/ (the contact page names this blog)",
    ),
}
#: Waiting for review, so the moderation page has something to show.
PENDING = {
    "tokyo_dev": (
        "expert",
        "けんた",
        "登壇資料: https://talks.example/kenta\nGitHub: https://github.example/kenta",
    ),
}
TOP_BLOGGERS = ("neko_nikki",)


@dataclass
class OfficialReport:
    official: int = 0
    new_official: int = 0
    pending: int = 0
    top_bloggers: int = 0

    def line(self) -> str:
        return (
            f"Official blogs: {self.official} ({self.new_official} new), "
            f"{self.pending} application(s) waiting, {self.top_bloggers} top blogger(s)"
        )


def _has_applied(user) -> bool:
    return OfficialApplication.objects.filter(applicant=user).exists()


def ensure_official_blogs(users: dict) -> OfficialReport:
    report = OfficialReport()
    for username, (category, real_name, evidence) in OFFICIAL.items():
        user = users.get(username)
        if user is None:
            continue
        blog = user.blog
        blog.refresh_from_db(fields=["official_category"])
        if not blog.is_official:
            application = OfficialApplication.objects.pending().filter(applicant=user).first()
            if application is None and _has_applied(user):
                continue  # decided once (refused or revoked): the demo does not overrule it
            if application is None:
                application = official_services.do_apply(
                    user, category=category, real_name=real_name, evidence=evidence
                )
            official_services.do_approve(application, None)
            report.new_official += 1
        report.official += 1
    for username, (category, real_name, evidence) in PENDING.items():
        user = users.get(username)
        if user is not None and not _has_applied(user) and not user.blog.is_official:
            official_services.do_apply(
                user, category=category, real_name=real_name, evidence=evidence
            )
        if user is not None:
            report.pending += OfficialApplication.objects.pending().filter(applicant=user).count()
    for username in TOP_BLOGGERS:
        user = users.get(username)
        if user is not None:
            official_services.do_set_top_blogger(user.blog, None, True)
            report.top_bloggers += 1
    return report
