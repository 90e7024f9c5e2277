"""Every XSS vector in tests/xss_vectors.txt stays inert on every page, feed and fragment.

Each vector is typed into every field that people fill in, through Koe's own forms, and
then every surface that shows those fields is parsed and checked for executable markup.
"""

from __future__ import annotations

import json
import re
import unicodedata
import xml.etree.ElementTree as ET  # noqa: S405 - parses Koe's own feeds in tests
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client

from koe.accounts import services as account_services
from koe.blogs import services as blog_services
from koe.core.text import clean_line, clean_text, render_markdown
from koe.social import services as social_services
from koe.social.models import Comment
from tests.conftest import make_user, publish


@pytest.fixture(autouse=True)
def _pages_as_rendered(settings):
    """The checker knows Koe's forms by their CSRF token, which cached pages leave out (the
    page cache keeps the rendered bytes minus that token: tests/test_page_cache.py)."""
    settings.KOE_PAGE_CACHE = False


# ### The corpus ###

_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[ntr\\])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def _unescape_line(line: str) -> str:
    def repl(m: re.Match) -> str:
        code = m.group(1)
        return _SIMPLE_ESCAPES.get(code) or chr(int(code[1:], 16))

    return _ESCAPE.sub(repl, line)


def load_vectors() -> list[str]:
    path = Path(__file__).with_name("xss_vectors.txt")
    vectors = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("## ") or line == "##":
            continue
        vectors.append(_unescape_line(line))
    return vectors


VECTORS = load_vectors()


def _vector_id(index: int, vector: str) -> str:
    words = re.sub(r"[^0-9A-Za-z]+", "-", vector).strip("-")[:32]
    return f"{index:03d}-{words or 'symbols'}"


# ### The checker ###

BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "poster", "background", "data",
    "codebase", "cite", "longdesc", "lowsrc", "dynsrc", "ping", "manifest", "icon",
    "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-push-url", "hx-replace-url",
}  # fmt: skip
SRCSET_ATTRIBUTES = {"srcset", "imagesrcset"}
# Elements Koe never makes and that run, load or re-parse content.
FORBIDDEN_ELEMENTS = {
    "iframe", "object", "embed", "style", "base", "frame", "frameset", "applet", "portal",
    "xmp", "plaintext", "noembed", "isindex", "foreignobject", "animate", "set",
    "animatemotion", "animatetransform", "handler", "listener", "import",
}  # fmt: skip
HTMX_CODE_ATTRIBUTES = {"hx-vals", "hx-vars", "hx-headers", "data-hx-vals", "data-hx-vars"}
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def normalise_url(value: str) -> str:
    """What a browser reads as the scheme: no whitespace or control characters, lower case."""
    return "".join(c for c in value if unicodedata.category(c) not in _INVISIBLE).lower()


def is_bad_url(value: str) -> bool:
    return normalise_url(value).startswith(BAD_SCHEMES)


def _same_site_path(value: str) -> bool:
    url = normalise_url(value)
    return url == "" or (url.startswith("/") and not url.startswith(("//", "/\\")))


def _css_is_dangerous(value: str) -> bool:
    css = re.sub(r"/\*.*?\*/", "", normalise_url(value).replace("\\", ""))
    return any(
        word in css
        for word in (
            "expression(",
            "javascript:",
            "vbscript:",
            "behavior:",
            "-moz-binding",
            "@import",
        )
    )


class _Form:
    def __init__(self, attrs: dict[str, str]):
        self.method = (attrs.get("method") or "get").lower()
        self.action = attrs.get("action") or ""
        self.csrf_tokens: list[str] = []


class MarkupChecker(HTMLParser):
    """Collects every way a page could run code that Koe did not write."""

    def __init__(self, csrf_secret: str | None = None):
        super().__init__(convert_charrefs=True)
        self.csrf_secret = csrf_secret
        self.problems: list[str] = []
        self.json_ld: list[object] = []
        self.meta: dict[str, str] = {}
        self.texts: dict[str, list[str]] = {}
        self._script: dict[str, str] | None = None
        self._script_text: list[str] = []
        self._forms: list[_Form] = []
        self._capture: list[tuple[str, list[str]]] = []
        self._decls = 0

    # --- elements
    def handle_starttag(self, tag, attrs):
        self._check_element(tag, attrs)
        if tag == "script":
            self._script = {k: v or "" for k, v in attrs}
            self._script_text = []
        for _tag, buffer in self._capture:
            buffer.append(" ")
        if tag in ("h1", "title"):
            self._capture.append((tag, []))

    def handle_startendtag(self, tag, attrs):
        self._check_element(tag, attrs)
        if tag == "script":
            self._end_script({k: v or "" for k, v in attrs}, "")

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self._end_script(self._script, "".join(self._script_text))
            self._script = None
        elif tag == "form" and self._forms:
            self._end_form(self._forms.pop())
        elif self._capture and self._capture[-1][0] == tag:
            name, buffer = self._capture.pop()
            self.texts.setdefault(name, []).append("".join(buffer))

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)
        for _tag, buffer in self._capture:
            buffer.append(data)

    def handle_comment(self, data):
        if "<" in data or "[if" in data.lower():
            self.problems.append(f"comment with markup: <!--{data[:60]}-->")

    def unknown_decl(self, data):
        self.problems.append(f"declaration: <![{data[:60]}]>")

    def handle_decl(self, decl):
        self._decls += 1
        if self._decls > 1:
            self.problems.append(f"second declaration: <!{decl[:60]}>")

    def handle_pi(self, data):
        self.problems.append(f"processing instruction: <?{data[:60]}>")

    def close(self):
        super().close()
        if self._script is not None:
            self.problems.append("unclosed <script>")
        while self._forms:
            self._end_form(self._forms.pop())

    # --- the rules
    def _check_element(self, tag: str, attr_list):
        attrs = {name: value or "" for name, value in attr_list}
        where = f"<{tag}>"
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"forbidden element {where}")
        for name, value in attr_list:
            value = value or ""
            if name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"event handler {name}= on {where}")
            if name in ("srcdoc", "form", "formmethod", "formtarget"):
                self.problems.append(f"attribute {name}= on {where}")
            if (name in URL_ATTRIBUTES or name.endswith(":href")) and is_bad_url(value):
                self.problems.append(f"{name}={value[:60]!r} on {where}")
            if name in SRCSET_ATTRIBUTES:
                for candidate in value.split(","):
                    if is_bad_url(candidate.strip().split(" ")[0] if candidate.strip() else ""):
                        self.problems.append(f"{name}={value[:60]!r} on {where}")
            if name.startswith("hx-") and name in URL_ATTRIBUTES and not _same_site_path(value):
                self.problems.append(f"htmx request to {value[:60]!r} on {where}")
            if name in HTMX_CODE_ATTRIBUTES and ("js:" in value or "javascript:" in value):
                self.problems.append(f"htmx code in {name}= on {where}")
            if name == "style" and _css_is_dangerous(value):
                self.problems.append(f"style={value[:60]!r} on {where}")
            if name == "formaction" and not _same_site_path(value):
                self.problems.append(f"formaction={value[:60]!r} on {where}")
        if tag == "meta":
            if "http-equiv" in attrs:
                self.problems.append(f"<meta http-equiv={attrs['http-equiv'][:30]!r}>")
            if "charset" in attrs and attrs["charset"].lower() != "utf-8":
                self.problems.append(f"<meta charset={attrs['charset'][:30]!r}>")
            key = attrs.get("property") or attrs.get("name")
            if key:
                self.meta.setdefault(key, attrs.get("content", ""))
        if tag == "link" and "import" in attrs.get("rel", "").lower().split():
            self.problems.append("<link rel=import>")
        if tag == "a" and attrs.get("target", "_self").lower() not in ("_self", "_top", "_parent"):
            rel = attrs.get("rel", "").lower().split()
            if "noopener" not in rel and "noreferrer" not in rel:
                self.problems.append(f"<a target={attrs['target']!r}> without rel=noopener")
        if tag == "form":
            self._forms.append(_Form(attrs))
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self._forms:
            self._forms[-1].csrf_tokens.append(attrs.get("value", ""))

    def _end_script(self, attrs: dict[str, str], text: str):
        kind = attrs.get("type", "").strip().lower()
        if kind == "application/ld+json" and "src" not in attrs:
            if re.search(r"</script|<!--", text, re.I):
                self.problems.append("JSON-LD holds '</script' or '<!--'")
            try:
                self.json_ld.append(json.loads(text))
            except ValueError:
                self.problems.append(f"JSON-LD is not JSON: {text[:80]!r}")
            return
        src = normalise_url(attrs.get("src", ""))
        static = settings.STATIC_URL.lower()
        if src.startswith(static) and "//" not in src and ".." not in src and not text.strip():
            return
        self.problems.append(f"<script {attrs}> {text[:60]!r}")

    def _end_form(self, form: _Form):
        if form.method == "post":
            made_by_koe = (
                self.csrf_secret is not None
                and _same_site_path(form.action)
                and any(
                    len(t) == 64 and _unmask_cipher_token(t) == self.csrf_secret
                    for t in form.csrf_tokens
                )
            )
        else:
            made_by_koe = _same_site_path(form.action) and bool(form.action)
        if not made_by_koe:
            self.problems.append(f"<form method={form.method!r} action={form.action[:60]!r}>")


def check_markup(markup: str, *, csrf_secret: str | None = None) -> MarkupChecker:
    checker = MarkupChecker(csrf_secret)
    checker.feed(markup)
    checker.close()
    return checker


def csrf_secret_of(client: Client) -> str | None:
    cookie = client.cookies.get(settings.CSRF_COOKIE_NAME)
    return cookie.value if cookie else None


def assert_inert(response, client: Client, surface: str, vector: str) -> MarkupChecker:
    assert response.status_code < 500, f"{surface}: {response.status_code}"
    assert "html" in response["Content-Type"], f"{surface}: {response['Content-Type']}"
    checker = check_markup(response.content.decode(), csrf_secret=csrf_secret_of(client))
    assert not checker.problems, f"{surface} with {vector!r}: {checker.problems}"
    return checker


# ### Feeds and the sitemap are XML ###

ATOM = "{http://www.w3.org/2005/Atom}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def check_feed(content: bytes, surface: str, vector: str) -> dict[str, list[str]]:
    """Parse a feed; run the HTML checker on the entries' HTML; return its text parts.

    Item descriptions (RSS) and type="html" summaries and contents (Atom) are HTML escaped
    once; everything else (titles, the channel's description, names) is plain text.
    """
    root = ET.fromstring(content)  # noqa: S314 - Koe's own output
    texts: dict[str, list[str]] = {}
    for element in root.iter():
        name = _local(element.tag)
        assert name not in FORBIDDEN_ELEMENTS | {"script"}, f"{surface}: <{name}> in XML"
        for attr, value in element.attrib.items():
            assert not _local(attr).startswith("on"), f"{surface}: {attr}= in XML"
            if _local(attr) in ("href", "src"):
                assert not is_bad_url(value), f"{surface}: {attr}={value!r}"
        body = element.text or ""
        texts.setdefault(name, []).append(body)
        if name in ("link", "guid", "id", "loc") and body:
            assert not is_bad_url(body), f"{surface}: <{name}>{body!r}"
    entries = [e for e in root.iter() if _local(e.tag) in ("item", "entry")]
    for entry in entries:
        for part in entry:
            name = _local(part.tag)
            is_html = name == "description" or (
                name in ("summary", "content") and part.attrib.get("type") == "html"
            )
            if is_html:
                problems = check_markup(part.text or "").problems
                assert not problems, f"{surface} {name} with {vector!r}: {problems}"
    return texts


# ### The world: one blogger per vector, the vector in every field they fill in ###

GROUP_SIZE = 20
GROUPS = [list(enumerate(VECTORS))[i : i + GROUP_SIZE] for i in range(0, len(VECTORS), GROUP_SIZE)]
GUEST = AnonymousUser()


def _ok(response, what: str):
    assert response.status_code in (301, 302), (
        f"{what}: {response.status_code} {response.content[:300]!r}"
    )


def build_blogger(index: int, vector: str):
    """A blogger whose name, bio, blog, category, post, hashtag-page post and comments all
    carry the vector. Values are stored as Koe's forms would store them (Django's forms
    refuse NUL: tests/test_bad_input.py proves it), through Koe's own actions."""
    storable = vector.replace("\x00", "")
    user = make_user(f"w{index:03d}", display_name=clean_line(storable)[:50] or "?")
    account_services.do_update_profile(user, bio=clean_text(storable).strip()[:500])
    blog = blog_services.do_update_blog(
        user.blog, title=clean_line(storable)[:80] or "?", description=clean_line(storable)[:300]
    )
    category = blog_services.do_save_category(blog, storable)
    post = publish(user, title=vector, body=vector, tags=["xss"], category=category)
    social_services.do_comment(post, GUEST, body=vector[:2000], name=vector)
    social_services.do_comment(post, user, body=vector[:2000])
    social_services.do_like(post, user)
    blog_services.do_update_blog(blog, comments_need_approval=True)
    social_services.do_comment(post, GUEST, body=vector[:2000], name=vector)
    user.refresh_from_db()
    post.refresh_from_db()
    return user, post, category


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def check_post_page(guest: Client, post, user, vector: str):
    response = guest.get(post.get_absolute_url())
    page = assert_inert(response, guest, "post page", vector)
    # Both shown comments (a guest's and the signed-in author's) are on the page.
    for comment in Comment.objects.visible().filter(post=post):
        assert f'id="comment-{comment.pk}"' in response.content.decode()
    blog = user.blog
    # Escaped, not mangled: the words come back as the same words.
    assert page.texts["h1"][-1].strip() == post.title
    assert page.meta["og:title"] == post.title
    assert page.meta["twitter:title"] == post.title
    assert page.meta["og:description"] == post.excerpt
    assert page.meta["description"] == post.excerpt
    (ld,) = page.json_ld
    assert ld["headline"] == post.title
    assert ld["description"] == post.excerpt
    assert ld["author"]["name"] == user.name
    assert ld["isPartOf"]["name"] == blog.title


@pytest.mark.parametrize(
    "group", GROUPS, ids=[f"vectors-{g[0][0]:03d}-{g[-1][0]:03d}" for g in GROUPS]
)
def test_vectors_are_inert_everywhere(db, group):
    guest = Client()
    world = [(index, vector, *build_blogger(index, vector)) for index, vector in group]
    listed = " ".join(vector for _i, vector in group)

    # Pages and feeds that list the whole group at once.
    for surface, path in {
        "front page": "/",
        "tag page": "/tags/xss/",
    }.items():
        response = guest.get(path)
        assert response.status_code == 200, f"{surface}: {response.status_code}"
        assert_inert(response, guest, surface, listed)
        for _index, _vector, _user, post, _category in world:
            assert post.get_absolute_url() in response.content.decode()
    for surface, path in {
        "tag RSS": "/tags/xss/rss.xml",
        "tag Atom": "/tags/xss/feed.atom",
    }.items():
        response = guest.get(path)
        assert response.status_code == 200, f"{surface}: {response.status_code}"
        texts = check_feed(response.content, surface, listed)
        for _index, _vector, _user, post, _category in world:
            assert post.title in texts["title"], f"{surface}: title changed"
    response = guest.get("/sitemap.xml")
    assert response.status_code == 200
    texts = check_feed(response.content, "sitemap", listed)
    site = f"http://{response.wsgi_request.get_host()}"
    assert all(loc.startswith(site + "/@") for loc in texts["loc"]), texts["loc"]
    for _index, _vector, _user, post, _category in world:
        assert site + post.get_absolute_url() in texts["loc"]
    # Every vector reflected from the address into the layout (the language form's "next").
    query = urlencode([(f"x{index}", vector) for index, vector in group])
    response = guest.get("/?" + query)
    assert response.status_code == 200
    assert_inert(response, guest, "reflected query", listed)

    for _index, vector, user, post, category in world:
        check_one_blogger(guest, vector, user, post, category)


def check_one_blogger(guest: Client, vector: str, user, post, category):
    name = user.username
    check_post_page(guest, post, user, vector)
    for surface, path in {
        "blog page": f"/@{name}/?category={category.pk}",
        "likers page": f"/@{name}/{post.pk}/likes/",
    }.items():
        response = guest.get(path)
        assert response.status_code == 200, f"{surface}: {response.status_code}"
        assert_inert(response, guest, surface, vector)
    # The vector as a hashtag in the address: a redirect, a 404 or a page, never markup.
    response = guest.get("/tags/" + quote(vector, safe="") + "/", follow=True)
    assert_inert(response, guest, "tag page from the address", vector)

    # The blog's feeds: the channel carries the blog's title and description as text.
    for surface, path in {
        "blog RSS": f"/@{name}/rss.xml",
        "blog Atom": f"/@{name}/feed.atom",
    }.items():
        response = guest.get(path)
        assert response.status_code == 200, f"{surface}: {response.status_code}"
        texts = check_feed(response.content, surface, vector)
        assert user.blog.title in texts["title"]
        assert post.title in texts["title"]

    # The author's pages: the dashboard (with the comment awaiting approval), the editor
    # with the raw vector in every field (hashtags too), and the live preview.
    author = _signed_in(user)
    response = author.get("/dashboard/")
    assert response.status_code == 200
    assert_inert(response, author, "dashboard", vector)
    pending = Comment.objects.pending().get(post=post)
    assert f"/dashboard/comments/{pending.pk}/" in response.content.decode()
    data = {"title": vector[:120], "body": vector, "tags": f"xss {vector}", "visibility": "public"}
    response = author.post(f"/dashboard/posts/{post.pk}/edit/", {**data, "publish": "1"})
    if response.status_code in (301, 302):
        response = author.get(f"/dashboard/posts/{post.pk}/edit/")
    assert response.status_code in (200, 400), f"editor: {response.status_code}"
    assert_inert(response, author, "editor", vector)
    response = author.post("/dashboard/preview", {"body": vector})
    # Django's forms refuse NUL; the preview says so instead of rendering.
    assert response.status_code == (400 if "\x00" in vector else 200)
    problems = check_markup(response.content.decode()).problems
    assert not problems, f"preview with {vector!r}: {problems}"


# Form pages re-show what was typed; they are slower to render, so a stride of the corpus.
FORM_STRIDE = 12
FORM_VECTORS = VECTORS[::FORM_STRIDE]


@pytest.mark.parametrize(
    "vector",
    FORM_VECTORS,
    ids=[_vector_id(i * FORM_STRIDE, v) for i, v in enumerate(FORM_VECTORS)],
)
def test_form_pages_show_typed_values_inertly(db, vector):
    user, post, category = build_blogger(0, vector)
    author = _signed_in(user)
    # Refused forms show the raw vector again (over-long, so refused), next to the stored
    # one: the categories page lists the blog's categories by name.
    long = vector + " " + "x" * 300
    for surface, path, data in [
        ("profile refused", "/accounts/profile/", {"display_name": long, "bio": long * 3}),
        ("blog settings refused", "/dashboard/blog/", {"title": long, "description": long}),
        ("category refused", "/dashboard/categories/", {"name": long}),
    ]:
        response = author.post(path, data)
        assert response.status_code == 400, f"{surface}: {response.status_code}"
        assert_inert(response, author, surface, vector)
    guest = Client()
    response = guest.post(f"/@{user.username}/{post.pk}/comments/", {"name": vector, "body": ""})
    assert response.status_code == 400
    assert_inert(response, guest, "refused comment", vector)
    response = guest.get("/accounts/login/?next=" + quote(vector, safe=""))
    assert response.status_code == 200
    assert_inert(response, guest, "log-in with next", vector)
    response = guest.post(
        "/accounts/signup/",
        {"username": vector[:30], "display_name": vector, "email": vector, "password": "x"},
    )
    assert response.status_code == 400
    assert_inert(response, guest, "sign-up refused", vector)
    response = guest.post("/accounts/login/", {"username": vector, "password": "x"})
    assert response.status_code == 400
    assert_inert(response, guest, "log-in refused", vector)


def test_the_corpus_is_large_and_distinct():
    assert len(VECTORS) >= 100
    assert len(set(VECTORS)) == len(VECTORS)


# ### The checker itself must catch what it is for ###


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        '<script type="application/ld+json">{"a": "</script><script>alert(1)</script>"}</script>',
        '<script type="application/ld+json">{"a": </script>',
        '<script src="/static/x.js">alert(1)</script>',
        '<script src="//evil.example/static/x.js"></script>',
        "<img src=x onerror=alert(1)>",
        '<a href="&#106;ava&#x09;script:alert(1)">x</a>',
        '<a href=" JAVASCRIPT:alert(1)">x</a>',
        '<a href="\x01javascript:alert(1)">x</a>',
        '<img srcset="x 1x, data:image/svg+xml,x 2x">',
        '<svg><a xlink:href="vbscript:x">x</a></svg>',
        "<iframe></iframe>",
        "<object></object>",
        "<embed>",
        "<style>x{}</style>",
        '<base href="/">',
        '<meta http-equiv="refresh" content="0;url=/">',
        '<form method="post" action="/x"><input name="csrfmiddlewaretoken" value="x"></form>',
        '<form action="https://evil.example/"></form>',
        '<button formaction="javascript:alert(1)">x</button>',
        '<a target="_blank" href="https://evil.example/">x</a>',
        '<div style="width:expr/**/ession(alert(1))">x</div>',
        '<div hx-on:click="alert(1)">x</div>',
        '<div hx-get="https://evil.example/">x</div>',
        "<!--[if IE]><script>alert(1)</script><![endif]-->",
        '<script type="application/ld+json">{}</script/x><script>alert(1)</script>',
    ],
)
def test_checker_catches(markup):
    assert check_markup(markup).problems


@pytest.mark.parametrize(
    "markup",
    [
        '<script type="application/ld+json">{"a": "\\u003c/script\\u003e"}</script>',
        '<script src="/static/django_htmx/htmx-2.min.js" defer></script>',
        '<a href="https://example.com/" rel="nofollow">x</a>',
        '<a href="/@alice/">x</a><img src="/media/images/x.webp" alt="">',
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
        '<input value="&quot; onmouseover=&quot;alert(1)">',
        '<meta charset="utf-8"><meta property="og:title" content="&lt;script&gt;">',
    ],
)
def test_checker_accepts_koe_markup(markup):
    assert check_markup(markup).problems == []


def test_checker_knows_koe_forms_by_their_csrf_token(alice_client):
    response = alice_client.get("/dashboard/posts/new/")
    secret = csrf_secret_of(alice_client)
    assert secret
    assert check_markup(response.content.decode(), csrf_secret=secret).problems == []
    assert check_markup(response.content.decode(), csrf_secret="x" * 32).problems


def test_markdown_renderer_drops_what_the_corpus_hides():
    """A quick look at the renderer alone, so a failure above can be told apart."""
    for vector in VECTORS:
        problems = check_markup(render_markdown(clean_text(vector))).problems
        assert not problems, f"{vector!r}: {problems}"
