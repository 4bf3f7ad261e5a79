from django.core.management.base import BaseCommand

from devdata.demo import seed_all
from devdata.demo.core import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Load the demo data (idempotent: running it again changes nothing) and print the demo logins."

    def handle(self, *args, **options):
        seed_all(self.stdout)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Demo logins (password: {DEMO_PASSWORD}) at http://127.0.0.1:8000/admin/")
        )
        for username, group_name, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {group_name or 'superuser'}")
