"""koe reindex: rebuild the search index from the posts; safe to run twice."""

from django.core.management.base import BaseCommand

from koe.discovery import index


class Command(BaseCommand):
    help = "Rebuild the search index of public posts."

    def handle(self, *args, **options):
        def progress(done, total):
            self.stdout.write(f"indexed {done}/{total}")

        total = index.rebuild(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"search index rebuilt: {total} public posts"))
