"""Names folded for a person finder: width, case, kana and spacing do not matter."""

from __future__ import annotations

import re
import unicodedata

# Spaces, middle dots and separators people type between family and given names.
_IGNORED = re.compile(r"[\s\u30fb\u00b7.,・|_\-‐－]+")
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(0x3041, 0x3097)}


def fold(name: str) -> str:
    """'やまだ 太郎', 'ヤマダ太郎' and 'ﾔﾏﾀﾞ　太郎' fold alike; 'Yamada Taro' to 'yamadataro'."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return _IGNORED.sub("", text.translate(_HIRAGANA_TO_KATAKANA))


def person_key(display_name: str, username: str) -> str:
    """A check-in's search key: both names, kept apart so a search never spans them."""
    return f"{fold(display_name)}|{fold(username)}"
