"""Words in a customer's description that mean danger: smoke, a burning smell, sparks, leaking gas.

A public request that names one is triaged as critical at once and the customer is shown what to do
until we arrive (REQUIREMENTS §1: safety first). The list is deliberately short and specific: a
false alarm costs a quick call, a missed one can cost a house.
"""

from __future__ import annotations

import re

# English words match whole words (any case); Chinese words match anywhere in the text.
ENGLISH_WORDS = (
    "smoke",
    "smoking",
    "smoky",
    "burning",
    "burnt smell",
    "burning smell",
    "spark",
    "sparks",
    "sparking",
    "flames",
    "on fire",
    "caught fire",
    "gas leak",
    "leaking gas",
    "smell of gas",
    "smells of gas",
    "electric shock",
    "electrocuted",
)
CHINESE_WORDS = ("冒烟", "焦味", "烧焦", "火花", "漏电", "触电", "漏气", "燃气泄漏", "煤气", "起火", "着火", "明火")

# Longest first, so "burning smell" is found as itself rather than as "burning".
_ALTERNATIVES = sorted(ENGLISH_WORDS, key=len, reverse=True)
_ENGLISH = re.compile(r"\b(" + "|".join(re.escape(word) for word in _ALTERNATIVES) + r")\b", re.IGNORECASE)


def safety_words_in(text: str) -> list[str]:
    """The safety words ``text`` contains, each once, in the order they first appear."""
    found = [(match.start(), match.group(0).lower()) for match in _ENGLISH.finditer(text or "")]
    found += [(text.find(word), word) for word in CHINESE_WORDS if word in (text or "")]
    seen: dict[str, None] = {}
    for _position, word in sorted(found):
        seen.setdefault(word, None)
    return list(seen)


def client_patterns() -> dict:
    """The same lists for the request form's script, which shows the safety advice as the customer types."""
    return {"english": list(ENGLISH_WORDS), "chinese": list(CHINESE_WORDS)}
