"""A subdomain suggested from the company name: "Бета ООД" → "beta".

Cyrillic is transliterated by Bulgaria's official system (the Transliteration Act, 2009:
щ → sht, ъ → a, -ия at a word's end → -ia), with the other Cyrillic letters a company
name may hold; accents are dropped from Latin letters. Legal forms (ООД, ЕАД, Ltd, GmbH…)
are left out. The result is checked with the same rules as a typed subdomain
(`validate_subdomain`, reserved names included) and against the companies that exist;
a taken or refused one gets a number (beta-2, beta-3…).
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

from shared_apps.tenants.models import Company
from shared_apps.tenants.validators import MAX_LENGTH, MIN_LENGTH, validate_subdomain

CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya",
    # other Cyrillic alphabets
    "ё": "yo", "ы": "y", "э": "e", "є": "ye", "і": "i", "ї": "yi", "ґ": "g", "ў": "u",
    "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz", "ѓ": "gj", "ќ": "kj",
    "ѕ": "dz",
}  # fmt: skip
LEGAL_FORMS = frozenset(
    {
        "ад", "еад", "еоод", "ет", "кд", "кда", "оод", "сд", "дззд", "зад", "ead", "eood",
        "ood", "ltd", "llc", "inc", "corp", "plc", "gmbh", "ag", "sa", "srl", "bv", "co",
    }
)  # fmt: skip
TOO_SHORT_SUFFIX = "crm"
ATTEMPTS = 50
_WORD = re.compile(r"\w+", re.UNICODE)


def transliterate(text: str) -> str:
    """Latin letters for `text`: Cyrillic by the Bulgarian official system, accents dropped."""
    out = []
    lowered = text.lower()
    for index, char in enumerate(lowered):
        following = lowered[index + 1 : index + 2]
        if char == "и" and following == "я" and not lowered[index + 2 : index + 3].isalpha():
            out.append("i")  # -ия at the end of a word is -ia ("Мария" → "maria")
            continue
        if char == "я" and index > 0 and lowered[index - 1] == "и" and not following.isalpha():
            out.append("a")
            continue
        out.append(CYRILLIC.get(char, char))
    decomposed = unicodedata.normalize("NFKD", "".join(out))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def subdomain_base(name: str) -> str:
    """The company name as a subdomain label, before any check ("" if nothing is left)."""
    words = [w for w in _WORD.findall(name.lower()) if w != "_"]
    kept = [w for w in words if w.strip("_") and w not in LEGAL_FORMS] or words
    label = re.sub(r"[^a-z0-9]+", "-", transliterate(" ".join(kept))).strip("-")
    label = label[:MAX_LENGTH].strip("-")
    if label and len(label) < MIN_LENGTH:
        label = f"{label}-{TOO_SHORT_SUFFIX}"
    return label


def _usable(candidate: str) -> bool:
    try:
        validate_subdomain(candidate)
    except ValidationError:
        return False
    return True


def subdomain_suggest(*, name: str) -> str:
    """A free, valid subdomain for a company called `name` ("" if the name has no letters
    or digits to build one from)."""
    base = subdomain_base(name)
    if not base:
        return ""
    candidates = [base] + [
        f"{base[: MAX_LENGTH - len(str(n)) - 1].rstrip('-')}-{n}" for n in range(2, ATTEMPTS + 2)
    ]
    usable = [c for c in candidates if _usable(c)]
    taken = set(Company.objects.filter(subdomain__in=usable).values_list("subdomain", flat=True))
    return next((c for c in usable if c not in taken), "")
