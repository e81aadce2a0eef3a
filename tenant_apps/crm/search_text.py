"""The text a record is found by: lowercase, without accents, with Cyrillic spelled in Latin.

Search compares the query and the records in one normal form, so "ivan", "Ivan", "Иван" and
"ИВАН" all find each other, and trigram matching works whatever the database's locale (pg_trgm
ignores letters that the collation does not call alphanumeric, which includes Cyrillic under
the C locale). Bulgarian is transliterated by the official streamlined system.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_BG_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya",
    # Russian, Ukrainian and Serbian letters a Bulgarian CRM still meets in names
    "ё": "yo", "ы": "y", "э": "e", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
    "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz",
}  # fmt: skip
_TABLE = str.maketrans(_BG_TO_LATIN)


def search_normalize(text: str) -> str:
    """One normal form for records and queries: casefolded, accents removed (é → e, й is kept
    as a letter before that), Cyrillic transliterated, runs of whitespace collapsed."""
    folded = text.casefold().translate(_TABLE)
    decomposed = unicodedata.normalize("NFKD", folded)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.split())


def search_document(parts: Iterable[str | None]) -> str:
    """The `search_text` of a record from its searchable values, in order of importance."""
    return search_normalize(" ".join(p for p in parts if p))
