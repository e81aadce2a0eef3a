from __future__ import annotations

from typing import Any, cast

import factory

from shared_apps.accounts.models import User


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-9")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


def make_user(**kwargs: Any) -> User:
    """A saved user (typed: factory_boy's call is not)."""
    return cast(User, UserFactory(**kwargs))
