from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from .listing import RowsPaginator


class PagePagination(PageNumberPagination):
    """``?page=2&page_size=100``; at most 200 rows a page so one request cannot pull a whole table
    (a bigger page_size is a 400 rather than a silently shorter page)."""

    django_paginator_class = RowsPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        # DRF quietly ignores a page_size it cannot read; say so instead, as for any other bad input.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        gettext("Give a whole number of rows from 1 to {max_page_size}.").format(
                            max_page_size=self.max_page_size
                        )
                    ]
                }
            )
        return int(raw)

    def get_page_number(self, request, paginator):
        # DRF reads ``?page=`` (sent empty) as page 1; an empty value is a mistake to name, as for filters.
        if request.query_params.get(self.page_query_param) == "":
            raise ValidationError({self.page_query_param: ["page is empty; give a page number or leave it out."]})
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
