"""``{% load ppp_format %}``: ``{{ amount|money:currency }}``, ``{{ amount|amount }}``, ``{{ day|day }}``."""

from django import template

from ppp import formatting

register = template.Library()


@register.filter
def money(amount, currency=""):
    return formatting.format_money(amount, currency)


@register.filter
def amount(value, decimal_places=2):
    return formatting.format_amount(value, int(decimal_places))


@register.filter
def day(value):
    return formatting.format_date(value)


@register.filter
def moment(value):
    return formatting.format_datetime(value)
