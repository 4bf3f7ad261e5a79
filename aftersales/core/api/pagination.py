"""Page-number pagination whose row count stays cheap on a million rows.

DRF's ``PageNumberPagination`` counts the whole result for every page: ``COUNT(*)`` over a million
tickets is a full scan (about 100 ms on two cores, and it fills both cores under load). Nobody
pages through a million rows — staff filter instead — so the count stops at ``API_COUNT_LIMIT``:
the answer then says ``"count": 10000, "count_exact": false`` ("10,000 or more"), pages up to that
many rows are served, and the count itself is an index range scan of at most that many rows.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

DEFAULT_COUNT_LIMIT = 10_000


def count_limit() -> int:
    return int(getattr(settings, "API_COUNT_LIMIT", DEFAULT_COUNT_LIMIT))


class BoundedCountPaginator(Paginator):
    """Counts at most ``limit + 1`` rows: enough to know whether there are more than ``limit``."""

    def __init__(self, *args, limit: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = limit

    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return len(self.object_list[: self.limit + 1])
        # Counting needs no order; without one PostgreSQL reads the first rows it finds (half the time).
        return self.object_list.order_by()[: self.limit + 1].count()

    @property
    def count_exact(self) -> bool:
        return self.count <= self.limit

    def page(self, number):
        """A page finds its rows' ids first, then loads only those rows with their joins.

        ``OFFSET 4950`` over the list's joined query makes PostgreSQL build 5,000 joined rows to
        throw away; over the bare index it skips 5,000 index entries, and the joins run for 50.
        Every page does it the same way, so every page costs the same queries.
        """
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not isinstance(self.object_list, QuerySet):
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids)}
        return self._get_page([rows[pk] for pk in ids if pk in rows], number, self)


class BoundedCountPagination(PageNumberPagination):
    def django_paginator_class(self, object_list, per_page, **kwargs):
        return BoundedCountPaginator(object_list, per_page, limit=count_limit(), **kwargs)

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": min(paginator.count, paginator.limit),
                "count_exact": paginator.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_exact"] = {
            "type": "boolean",
            "description": f"false: there are more than `count` results (counting stops at {count_limit()})",
        }
        response["required"] = [*response.get("required", []), "count_exact"]
        return response
