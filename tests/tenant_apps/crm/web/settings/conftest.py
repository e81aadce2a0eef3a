import pytest


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """These pages are checked in English."""
