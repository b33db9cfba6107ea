"""Factories for users and roles, shared by the tests and ``seed_demo``."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory

from ppp.demo import DEMO_PASSWORD
from ppp.roles import BOARD, OFFICERS


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(DEMO_PASSWORD)


class OfficerFactory(UserFactory):
    """A procurement officer: staff, in the officers' group."""

    username = factory.Sequence(lambda n: f"officer{n}")
    is_staff = True

    @factory.post_generation
    def groups(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get_or_create(name=OFFICERS)[0])


class BoardMemberFactory(UserFactory):
    """A project board member: may log in to read, changes nothing."""

    username = factory.Sequence(lambda n: f"board{n}")
    is_staff = True

    @factory.post_generation
    def groups(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get_or_create(name=BOARD)[0])
