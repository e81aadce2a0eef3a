"""Numbers as people type them, in English and Bulgarian (validators.number_parse)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from tenant_apps.crm.validators import number_input, number_parse

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("language", "text", "number"),
    [
        ("en", "12,500.50", "12500.50"),
        ("en", "12500.50", "12500.50"),
        ("en", "1,234,567", "1234567"),
        ("en", "1,234", "1234"),
        ("en", "1.234", "1.234"),
        ("en", "12,5", "12.5"),  # a comma that cannot group is a decimal comma
        ("en", "1.234,56", "1234.56"),
        ("en", " -3 ", "-3"),
        ("en", "\u22124.5", "-4.5"),
        ("bg", "12 500,50", "12500.50"),
        ("bg", f"12{NBSP}500,50", "12500.50"),
        ("bg", f"12{NNBSP}500,50", "12500.50"),
        ("bg", "1.234,56", "1234.56"),
        ("bg", "1.234.567", "1234567"),
        ("bg", "1,234", "1.234"),
        ("bg", "12500.50", "12500.50"),  # a dot that cannot group is a decimal dot
        ("bg", "0,5", "0.5"),
        ("bg", "12,500.50", "12500.50"),
    ],
)
def test_numbers_people_type(language: str, text: str, number: str) -> None:
    with translation.override(language):
        assert number_parse(text) == Decimal(number)


@pytest.mark.parametrize(
    ("language", "text", "message"),
    [
        ("bg", "1.234", "„1.234“ може да се разбере по два начина: пишете 1234 за цяло число"),
        ("en", "abc", "Enter a number, e.g. 1,250.50."),
        ("bg", "abc", f"Въведете число, например 1{NBSP}250,50."),
        ("en", "12 50", "Enter a number"),
        ("en", "1,2,3", "Enter a number"),
        ("en", "1,234.567,8", "Enter a number"),
        ("en", "1 234.567,5", "Enter a number"),
        ("en", "1e5", "Enter a number"),
        ("en", "١٢", "Enter a number"),
        ("en", "", "Enter a number"),
        ("en", "1" * 41, "Enter a number"),
    ],
)
def test_bad_and_ambiguous_numbers(language: str, text: str, message: str) -> None:
    with translation.override(language), pytest.raises(ValidationError) as caught:
        number_parse(text)
    assert message in caught.value.messages[0]


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    number=st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**12),
    language=st.sampled_from(["en", "bg"]),
)
def test_a_stored_number_reads_back_the_same(number: Decimal, language: str) -> None:
    with translation.override(language):
        assert number_parse(number_input(number)) == number
