from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand

from aftersales.core.demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Load the demo data (idempotent: running it again changes nothing) and print the demo logins."

    def handle(self, *args, **options):
        for app_config in apps.get_app_configs():
            module_name = f"{app_config.name}.demo"
            try:
                module = import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue
            module.seed(self.stdout)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Demo logins (password: {DEMO_PASSWORD}) at http://127.0.0.1:8000/admin/")
        )
        for username, group_name, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {group_name or 'superuser'}")
