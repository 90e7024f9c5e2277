"""The Japanese catalogue is complete, compiled and consistent, and pages speak the asked language.

When a test here fails after you added or changed a string: run
`KOE_DATA_DIR=/tmp/koe-i18n koe makemessages -l ja --ignore=.venv --ignore=tests --ignore=build`,
translate the new entries in koe/locale/ja/LC_MESSAGES/django.po, then `msgfmt` it to django.mo.
"""

from __future__ import annotations

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation.template import templatize

import koe
from tests.conftest import make_user

KOE_DIR = Path(koe.__file__).resolve().parent
LOCALE_DIR = KOE_DIR / "locale" / "ja" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

# Strings that read the same in Japanese (product names, formats, abbreviations).
SAME_IN_JAPANESE = {"PR", "RSS", "Atom", "URL", "HTML", "Markdown", "OK", "UTC", "Koe", "Koe Now"}


# --- A small reader of .po files, standard library only.


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int | None, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The key gettext uses in a compiled catalogue."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    @property
    def where(self) -> str:
        return " ".join(self.references) or "?"


def _unquote(literal: str) -> str:
    return ast.literal_eval(literal.strip())


def read_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry, target = Entry(), None
        lines = [ln for ln in block.splitlines() if not ln.startswith("#~")]
        if not lines:
            continue  # an obsolete entry
        for line in lines:
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            elif line.startswith("#:"):
                entry.references += line[2:].split()
            elif line.startswith("#"):
                continue
            elif line.startswith("msgctxt "):
                entry.msgctxt, target = _unquote(line[8:]), ("msgctxt", None)
            elif line.startswith("msgid_plural "):
                entry.msgid_plural, target = _unquote(line[13:]), ("msgid_plural", None)
            elif line.startswith("msgid "):
                entry.msgid, target = _unquote(line[6:]), ("msgid", None)
            elif line.startswith("msgstr["):
                index = int(line[7 : line.index("]")])
                entry.msgstr[index] = _unquote(line[line.index("]") + 1 :])
                target = ("msgstr", index)
            elif line.startswith("msgstr "):
                entry.msgstr[None], target = _unquote(line[7:]), ("msgstr", None)
            elif line.startswith('"') and target is not None:
                name, index = target
                if name == "msgstr":
                    entry.msgstr[index] += _unquote(line)
                else:
                    setattr(entry, name, getattr(entry, name) + _unquote(line))
        entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing"
    return [e for e in read_po(PO_PATH) if e.msgid != ""]


@pytest.fixture(scope="module")
def header() -> Entry:
    return next(e for e in read_po(PO_PATH) if e.msgid == "")


# --- The catalogue itself.


def test_catalogue_is_japanese_and_not_fuzzy(header):
    assert "Language: ja\n" in header.msgstr[None]
    assert "charset=UTF-8" in header.msgstr[None]
    assert "fuzzy" not in header.flags


def test_every_entry_is_translated(catalogue):
    assert len(catalogue) > 100
    untranslated = [e.msgid for e in catalogue if not all(e.msgstr.values())]
    assert not untranslated, f"untranslated: {untranslated}"


def test_no_entry_is_fuzzy(catalogue):
    fuzzy = [f"{e.msgid!r} ({e.where})" for e in catalogue if "fuzzy" in e.flags]
    assert not fuzzy, "check these and remove '#, fuzzy': " + "; ".join(fuzzy)


def test_no_entry_is_left_in_english(catalogue):
    same = [
        e.msgid
        for e in catalogue
        if re.search("[A-Za-z]", e.msgid)
        and e.msgid not in SAME_IN_JAPANESE
        and any(s == e.msgid for s in e.msgstr.values())
    ]
    assert not same, f"copied, not translated: {same}"


_PLACEHOLDER = re.compile(
    r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]"  # %(name)s, %(n)d
    r"|%[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]"  # %s, %d
    r"|\{\{\s*[\w.|:\"']+\s*\}\}"  # {{ n }}
    r"|\{\w*\}"  # {0}, {name}
    r"|</?[a-zA-Z][\w-]*"  # HTML tags
)


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in _PLACEHOLDER.finditer(text.replace("%%", "")))


def test_placeholders_are_kept(catalogue):
    wrong = []
    for e in catalogue:
        wanted = _placeholders(e.msgid)
        for text in e.msgstr.values():
            # In a plural entry, a form may leave out the number itself ("one post").
            if e.msgid_plural is not None:
                ok = set(_placeholders(text)) <= set(wanted + _placeholders(e.msgid_plural))
            else:
                ok = _placeholders(text) == wanted
            if not ok:
                wrong.append(f"{e.msgid!r} -> {text!r} ({e.where})")
    assert not wrong, "placeholders differ: " + "; ".join(wrong)


def test_python_format_entries_are_flagged(catalogue):
    # Without the flag, msgfmt would not check the translation's placeholders.
    missing = [
        e.msgid
        for e in catalogue
        if re.search(r"%\(\w+\)[sd]", e.msgid) and "python-format" not in e.flags
    ]
    assert not missing, f"not marked python-format: {missing}"


# --- The compiled catalogue.


def test_compiled_catalogue_matches_the_po_file(catalogue):
    assert MO_PATH.exists(), "koe/locale/ja/LC_MESSAGES/django.mo is missing: run msgfmt"
    with MO_PATH.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)._catalog
    stale = []
    for e in catalogue:
        if e.msgid_plural is None:
            if compiled.get(e.key) != e.msgstr[None]:
                stale.append(e.msgid)
        else:
            for index, text in e.msgstr.items():
                if compiled.get((e.key, index)) != text:
                    stale.append(e.msgid)
    assert not stale, f"django.mo is older than django.po (recompile it): {stale}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext tools not installed")
def test_po_file_passes_msgfmt_check(tmp_path):
    result = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(PO_PATH)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- The catalogue covers the source.

_GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}


# templatize turns a template into Python-like text whose lines are not all valid Python.
_TEMPLATE_CALL = re.compile(
    r"""\b(?:n?p?gettext)\((?:[^()'"]|'(?:\\.|[^'])*'|"(?:\\.|[^"])*")*\)"""
)


def _source_strings() -> dict[str, str]:
    """Every translatable msgid in koe's Python files and templates, with where it is."""
    found: dict[str, str] = {}

    def collect(tree: ast.AST, where: Path):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in _GETTEXT_NAMES:
                continue
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            args = [a for a in args if isinstance(a, str)]
            if not args:
                continue
            text = (
                args[1] if name.startswith(("pgettext", "npgettext")) and len(args) > 1 else args[0]
            )
            found.setdefault(text, f"{where.relative_to(KOE_DIR.parent)}:{node.lineno}")

    for path in KOE_DIR.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        collect(ast.parse(path.read_text(encoding="utf-8")), path)
    for path in [*KOE_DIR.rglob("templates/**/*.html"), *KOE_DIR.rglob("templates/**/*.txt")]:
        code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for call in _TEMPLATE_CALL.findall(code):
            try:
                collect(ast.parse(call), path)
            except SyntaxError:
                continue
    return found


def test_every_string_in_the_source_is_in_the_catalogue(catalogue):
    known = {e.msgid for e in catalogue}
    missing = {text: where for text, where in _source_strings().items() if text not in known}
    assert not missing, "not in the Japanese catalogue (run makemessages, translate): " + "; ".join(
        f"{where} {text!r}" for where, text in sorted((w, t) for t, w in missing.items())
    )


# --- What people see.


def test_gettext_gives_japanese_for_key_strings():
    from koe.blogs.models import THEMES

    with translation.override("ja"):
        assert translation.gettext("%(name)s's blog") % {"name": "花子"} == "花子のブログ"
        assert [str(label) for _value, label in THEMES] == ["さくら", "そら", "抹茶", "墨"]
        assert translation.gettext("Sign up") == "新規登録"
        assert translation.gettext("Log in") == "ログイン"
    with translation.override("en"):
        assert translation.gettext("%(name)s's blog") % {"name": "Hanako"} == "Hanako's blog"
        assert [str(label) for _value, label in THEMES] == ["Sakura", "Sora", "Matcha", "Sumi"]


@pytest.mark.parametrize(
    ("path", "status", "japanese", "english"),
    [
        ("/", 200, ["新着記事", "新規登録", "ログイン"], ["New posts", "Sign up", "Log in"]),
        (
            "/accounts/signup/",
            200,
            ["Koeでブログをはじめよう", "ユーザー名", "メールアドレス", "パスワード"],
            ["Start your blog on Koe", "Username", "E-mail address", "Password"],
        ),
        (
            "/accounts/login/",
            200,
            ["ユーザー名またはメールアドレス", "パスワードをお忘れの方"],
            ["Username or e-mail", "Forgot your password?"],
        ),
        ("/no-such-page/", 404, ["ページが見つかりません"], ["Page not found"]),
    ],
)
def test_pages_speak_the_asked_language(client, db, path, status, japanese, english):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == status
    body = response.content.decode()
    assert '<html lang="ja">' in body
    for text in japanese:
        assert text in body, f"{path} (ja) lacks {text!r}"
    for text in english:
        assert text not in body, f"{path} (ja) still shows {text!r}"

    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == status
    body = response.content.decode()
    assert '<html lang="en">' in body
    for text in english:
        assert text in body, f"{path} (en) lacks {text!r}"
    for text in japanese:
        assert text not in body, f"{path} (en) shows {text!r}"


def test_japanese_is_the_default_language(client, db, settings):
    settings.LANGUAGE_CODE = "ja"
    body = client.get("/accounts/signup/").content.decode()
    assert '<html lang="ja">' in body and "新規登録" in body


def test_dashboard_speaks_the_bloggers_language(client, db):
    user = make_user("hanako", display_name="花子", language="ja")
    client.force_login(user)
    body = client.get("/dashboard/").content.decode()
    dashboard = ["ダッシュボード", "ブログを書く", "テーマ", "ブログ設定", "下書き", "花子のブログ"]
    for text in dashboard:
        assert text in body, f"dashboard lacks {text!r}"
    body = client.get("/dashboard/posts/new/").content.decode()
    for text in ["下書き保存", "投稿する", "ハッシュタグ", "公開範囲", "メンバー限定"]:
        assert text in body, f"editor lacks {text!r}"


def test_form_errors_are_in_japanese(client, db):
    make_user("taken")
    response = client.post(
        "/accounts/signup/",
        {"username": "taken", "display_name": " ", "email": "taken@example.com", "password": "x"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "このユーザー名はすでに使われています。" in body
    assert "このメールアドレスはすでに登録されています。" in body
