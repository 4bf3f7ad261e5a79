from datetime import date

from django.core.management.base import BaseCommand, CommandError

from aftersales.core.calendars.services import DEFAULT_BUSINESS_CODE, calendar_fill_public_holidays
from aftersales.core.models import BusinessCalendar


class Command(BaseCommand):
    help = (
        "Fill a business calendar with one year of Chinese public holidays and make-up working days "
        "(调休) from the python-holidays library. Days entered by hand are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=date.today().year)
        parser.add_argument("--calendar", default=DEFAULT_BUSINESS_CODE, help="calendar code (default: business)")
        parser.add_argument("--country", default="CN", help="ISO country code (default: CN)")

    def handle(self, *args, year, calendar, country, **options):
        try:
            business_calendar = BusinessCalendar.objects.get(code=calendar)
        except BusinessCalendar.DoesNotExist as error:
            raise CommandError(f"no calendar with code {calendar!r}") from error
        result = calendar_fill_public_holidays(calendar=business_calendar, year=year, country=country)
        self.stdout.write(
            f"{business_calendar.code} {year}: {result.holidays} holiday(s), {result.workdays} make-up working "
            f"day(s) imported; {result.kept_manual} day(s) entered by hand kept."
        )
