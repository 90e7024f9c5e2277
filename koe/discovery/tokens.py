"""Text to search terms, the same for documents and queries: character bigrams (and
unigrams) for Japanese and Chinese runs, lower-cased words for everything else."""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

MAX_QUERY = 100

# Han, Hiragana, Katakana (with the prolonged sound mark and iteration marks, not the
# middle dot, which FTS5 would take for a separator).
_CJK = (
    r"\u3005\u3006\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"
    r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
)
# Runs of CJK, or runs of other letters and digits. FTS5's unicode61 and PostgreSQL's
# parser both keep such runs whole, so a term we store is a term they index.
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


def normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").lower()


def runs(value: str) -> list[str]:
    return _RUN.findall(normalise(value))


def is_cjk(char: str) -> bool:
    return bool(_IS_CJK.match(char))


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_terms(*texts: str) -> str:
    """Every unigram and bigram of each CJK run, and each word: space-separated."""
    terms: list[str] = []
    for value in texts:
        for run in runs(value):
            if _IS_CJK.match(run):
                terms.extend(run)
                terms.extend(_bigrams(run))
            else:
                terms.append(run)
    return " ".join(terms)


def query_terms(query: str) -> list[str]:
    """What must all match: a lone CJK character as itself, longer CJK runs as their
    bigrams, words as words. Anything else (quotes, operators, brackets) is dropped."""
    terms: list[str] = []
    for run in runs(query[:MAX_QUERY]):
        if _IS_CJK.match(run):
            terms.extend(_bigrams(run) if len(run) > 1 else [run])
        else:
            terms.append(run)
    return list(dict.fromkeys(terms))


def highlight(text: str, query: str, *, width: int = 160) -> SafeString:
    """A short window of `text` around the first match, escaped, matches in <mark>."""
    text = " ".join(unicodedata.normalize("NFKC", text or "").split())
    words = sorted({*runs(query[:MAX_QUERY]), *query_terms(query)}, key=len, reverse=True)
    if not words:
        return escape(text[:width])
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, first.start() - width // 4) if first else 0
    window = text[start : start + width]
    out, pos = [], 0
    for match in pattern.finditer(window):
        out.append(escape(window[pos : match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        pos = match.end()
    out.append(escape(window[pos:]))
    prefix = "…" if start else ""
    suffix = "…" if start + width < len(text) else ""
    return mark_safe(prefix + "".join(out) + suffix)  # noqa: S308 - every piece escaped above
