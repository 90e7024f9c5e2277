"""`koe demo`: fill Koe with Japanese and English demo blogs; safe to run again."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from huey.contrib.djhuey import HUEY

from koe.demo.build import DEMO_USERNAME, build_demo, demo_password


class Command(BaseCommand):
    help = (
        "Create demo blogs, posts, comments and likes in Japanese and English, and a 'demo' "
        "account to sign in with. Running it again adds only what is missing."
    )

    def handle(self, *args, verbosity=1, **options):
        started = time.monotonic()
        progress = self.stdout.write if verbosity >= 1 else (lambda line: None)
        # One "announced post" log line per post would bury the progress lines.
        announcer = logging.getLogger("koe.blogs.services")
        level = announcer.level
        if verbosity < 2:
            announcer.setLevel(logging.WARNING)
        # Feed fan-out and "new post" notices run here, in step with the follows: queued for
        # a consumer that starts later, they would find today's follows and announce posts
        # weeks old as new, and the home feeds would stay empty until then.
        inline = HUEY.immediate
        HUEY.immediate = True
        try:
            result = build_demo(progress)
        finally:
            HUEY.immediate = inline
            announcer.setLevel(level)
        seconds = time.monotonic() - started
        posts = sum(report.new_posts for report in result.blogs)
        comments = sum(report.new_comments for report in result.blogs)
        likes = sum(report.new_likes for report in result.blogs)
        progress(
            f"Done in {seconds:.1f} s: {result.new_accounts} accounts, {posts} posts, "
            f"{comments} comments and {likes} likes added."
        )
        self.stdout.write("")
        self.stdout.write(f"Open {settings.BASE_URL}/ and sign in with")
        self.stdout.write(f"  username: {DEMO_USERNAME}")
        self.stdout.write(f"  password: {demo_password()}")
        if not result.password_ok:
            self.stderr.write(
                self.style.WARNING(
                    "The demo account's password has been changed since it was made, so the one "
                    f"above no longer works. To reset it: koe changepassword {DEMO_USERNAME}"
                )
            )
        if any(report.skipped for report in result.blogs):
            self.stderr.write(
                self.style.WARNING(
                    "Some demo usernames belong to other accounts; those blogs were left out."
                )
            )
