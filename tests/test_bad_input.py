"""Bad input gets a clear 4xx and writes nothing: no row, no file, no half-made record."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from koe.blogs import services as blog_services
from koe.social import services as social_services
from tests.bad_input import (  # noqa: F401 - fixtures are found by name
    NUL_MESSAGE,
    _signed_in,
    assert_refused,
    assert_styled,
    blog_form,
    category,
    post,
    post_form,
    profile_form,
    signup_form,
    snapshot,
    text_of,
    unchanged,
)
from tests.conftest import PASSWORD, image_bytes, publish

# ### Over-long fields ###

LONG = {
    "title": "t" * 121,
    "body": "b" * 100_001,
    "comment": "c" * 2001,
    "display_name": "d" * 51,
    "bio": "b" * 501,
    "blog_title": "t" * 81,
    "description": "d" * 301,
    "category": "c" * 41,
}


def _at_most(n: int) -> str:
    return f"Ensure this value has at most {n} characters"


@pytest.mark.parametrize(
    "what",
    [
        "post title",
        "post body",
        "autosave title",
        "autosave body",
        "preview body",
        "comment body",
        "comment name",
        "display name",
        "bio",
        "sign-up display name",
        "blog title",
        "blog description",
        "category name",
        "eleven hashtags",
        "long hashtag",
    ],
)
def test_over_long_fields_are_refused(alice, post, unchanged, what):
    client = _signed_in(alice)
    comments = f"/@alice/{post.pk}/comments/"
    cases = {
        "post title": ("/dashboard/posts/new/", post_form(title=LONG["title"]), _at_most(120)),
        "post body": ("/dashboard/posts/new/", post_form(body=LONG["body"]), _at_most(100000)),
        "autosave title": ("/dashboard/posts/autosave", {"title": LONG["title"]}, _at_most(120)),
        "autosave body": ("/dashboard/posts/autosave", {"body": LONG["body"]}, _at_most(100000)),
        "preview body": ("/dashboard/preview", {"body": LONG["body"]}, _at_most(100000)),
        "comment body": (comments, {"name": "X", "body": LONG["comment"]}, _at_most(2000)),
        "comment name": (comments, {"name": LONG["display_name"], "body": "Hi"}, _at_most(50)),
        "display name": (
            "/accounts/profile/",
            profile_form(display_name=LONG["display_name"]),
            _at_most(50),
        ),
        "bio": ("/accounts/profile/", profile_form(bio=LONG["bio"]), _at_most(500)),
        "sign-up display name": (
            "/accounts/signup/",
            signup_form(display_name=LONG["display_name"]),
            _at_most(50),
        ),
        "blog title": ("/dashboard/blog/", blog_form(title=LONG["blog_title"]), _at_most(80)),
        "blog description": (
            "/dashboard/blog/",
            blog_form(description=LONG["description"]),
            _at_most(300),
        ),
        "category name": ("/dashboard/categories/", {"name": LONG["category"]}, _at_most(40)),
        "eleven hashtags": (
            "/dashboard/posts/new/",
            post_form(tags=" ".join(f"tag{i}" for i in range(11))),
            "A post can have at most 10 hashtags.",
        ),
        "long hashtag": (
            "/dashboard/posts/new/",
            post_form(tags="x" * 51),
            "A hashtag can have at most 50 characters.",
        ),
    }
    path, data, message = cases[what]
    if what.startswith(("sign-up", "comment")):
        client = Client()
    unchanged()
    assert_refused(client.post(path, data), message)
    unchanged()


def test_editing_a_post_with_too_long_a_body_leaves_it_as_it_was(alice_client, post, unchanged):
    unchanged()
    response = alice_client.post(
        f"/dashboard/posts/{post.pk}/edit/", post_form(body=LONG["body"], publish="1")
    )
    assert_refused(response, _at_most(100000))
    response = alice_client.post(f"/dashboard/posts/{post.pk}/autosave", {"body": LONG["body"]})
    assert_refused(response, _at_most(100000))
    unchanged()


# ### NUL bytes in every text field ###

NUL_CASES = [
    ("signup", "username"),
    ("signup", "display_name"),
    ("signup", "email"),
    ("signup", "password"),
    ("login", "username"),
    ("login", "password"),
    ("profile", "display_name"),
    ("profile", "bio"),
    ("blog", "title"),
    ("blog", "description"),
    ("category", "name"),
    ("rename category", "name"),
    ("editor", "title"),
    ("editor", "body"),
    ("editor", "tags"),
    ("edit post", "title"),
    ("edit post", "body"),
    ("autosave", "title"),
    ("autosave", "body"),
    ("preview", "body"),
    ("comment", "name"),
    ("comment", "body"),
    ("signed-in comment", "body"),
    ("image", "alt"),
    ("delete account", "password"),
    ("password change", "old_password"),
    ("password change", "new_password1"),
    ("password reset", "email"),
]


@pytest.mark.parametrize("form,field", NUL_CASES, ids=[f"{f}-{n}" for f, n in NUL_CASES])
def test_nul_bytes_are_refused_in_every_text_field(
    alice, bob, post, category, unchanged, form, field
):
    author, reader, guest = _signed_in(alice), _signed_in(bob), Client()
    comments = f"/@alice/{post.pk}/comments/"
    forms = {
        "signup": (guest, "/accounts/signup/", signup_form()),
        "login": (guest, "/accounts/login/", {"username": "alice", "password": PASSWORD}),
        "profile": (author, "/accounts/profile/", profile_form()),
        "blog": (author, "/dashboard/blog/", blog_form()),
        "category": (author, "/dashboard/categories/", {"name": "New one"}),
        "rename category": (author, f"/dashboard/categories/{category.pk}/", {"name": "Again"}),
        "editor": (author, "/dashboard/posts/new/", post_form(publish="1")),
        "edit post": (author, f"/dashboard/posts/{post.pk}/edit/", post_form(publish="1")),
        "autosave": (author, "/dashboard/posts/autosave", {"title": "T", "body": "B"}),
        "preview": (author, "/dashboard/preview", {"body": "B"}),
        "comment": (guest, comments, {"name": "Guest", "body": "Hello"}),
        "signed-in comment": (reader, comments, {"body": "Hello"}),
        "image": (author, "/dashboard/images/", {"alt": "A picture"}),
        "delete account": (author, "/accounts/delete/", {"password": PASSWORD}),
        "password change": (
            author,
            "/accounts/password/",
            {"old_password": PASSWORD, "new_password1": "x7!longpass", "new_password2": "x7!"},
        ),
        "password reset": (guest, "/accounts/password/reset/", {"email": "alice@example.com"}),
    }
    client, path, data = forms[form]
    data = dict(data)
    data[field] = data.get(field, "value") + "\x00after"
    if form == "password change" and field == "new_password1":
        data["new_password2"] = data["new_password1"]
    if form == "image":
        data["file"] = SimpleUploadedFile("a.png", image_bytes(), content_type="image/png")
    unchanged()
    response = client.post(path, data)
    assert_refused(response, NUL_MESSAGE)
    unchanged()


# ### Invalid UTF-8 ###


def test_invalid_utf8_in_a_post_body_is_refused(alice_client, unchanged):
    unchanged()
    response = alice_client.post(
        "/dashboard/posts/new/",
        data=b"title=%FF%FEabc&body=x&visibility=public&publish=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert 400 <= response.status_code < 500
    unchanged()


@pytest.mark.parametrize(
    "body",
    [b"title=%FF%FE&body=%C3%28", b"title=\xff\xfe&body=\xc3\x28", b"%FF=%FF&\xff"],
    ids=["percent-encoded", "raw-bytes", "in-the-names"],
)
def test_invalid_utf8_in_a_body_never_errors(alice_client, post, body):
    for path in ("/dashboard/preview", "/dashboard/posts/autosave", f"/@alice/{post.pk}/comments/"):
        response = alice_client.post(
            path, data=body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code < 500, path


@pytest.mark.parametrize(
    "path",
    ["/tags/%FF/", "/tags/%C3%28/", "/@alice/%FF/", "/@%FF/", "/@alice/rss%FF.xml", "/%FF%FE/"],
)
def test_invalid_utf8_in_the_address_is_a_styled_404(client, post, path):
    assert_styled(client.get(path), 404, "Page not found")


def test_invalid_utf8_in_a_slug_redirects_to_the_real_address(client, post):
    response = client.get(f"/@alice/{post.pk}/%FF%FE/")
    assert response.status_code == 301
    assert response["Location"] == post.get_absolute_url()


# ### Empty required fields ###


@pytest.mark.parametrize(
    "what",
    [
        "post title",
        "post title of spaces",
        "post title of invisible characters",
        "display name of invisible characters",
        "blog title of invisible characters",
        "guest comment name of invisible characters",
        "empty sign-up",
        "empty profile",
        "empty blog settings",
        "empty category",
        "empty account deletion",
        "comment body",
        "comment body of spaces",
        "guest comment name",
        "display name",
        "blog title",
        "category name",
        "category name of spaces",
        "sign-up",
        "log-in",
        "image",
    ],
)
def test_empty_required_fields_are_refused(alice, post, unchanged, what):
    author, guest = _signed_in(alice), Client()
    comments = f"/@alice/{post.pk}/comments/"
    cases = {
        "post title": (author, "/dashboard/posts/new/", post_form(title=""), "required"),
        "post title of spaces": (
            author,
            "/dashboard/posts/new/",
            post_form(title=" \u3000\t "),
            "This field is required.",
        ),
        "post title of invisible characters": (
            author,
            "/dashboard/posts/new/",
            post_form(title="\u200b\x01\ufeff\u200d"),
            "Please give the post a title.",
        ),
        "display name of invisible characters": (
            author,
            "/accounts/profile/",
            profile_form(display_name="\u200b\u200c"),
            "Please enter a display name.",
        ),
        "blog title of invisible characters": (
            author,
            "/dashboard/blog/",
            blog_form(title="\u2060\u200b"),
            "Please give your blog a title.",
        ),
        "guest comment name of invisible characters": (
            guest,
            comments,
            {"name": "\u200b", "body": "Hi"},
            "Please enter your name.",
        ),
        "empty sign-up": (guest, "/accounts/signup/", {}, "This field is required."),
        "empty profile": (author, "/accounts/profile/", {}, "This field is required."),
        "empty blog settings": (author, "/dashboard/blog/", {}, "This field is required."),
        "empty category": (author, "/dashboard/categories/", {}, "This field is required."),
        "empty account deletion": (author, "/accounts/delete/", {}, "This field is required."),
        "comment body": (guest, comments, {"name": "G", "body": ""}, "This field is required."),
        "comment body of spaces": (
            guest,
            comments,
            {"name": "G", "body": "\u3000 \n"},
            "This field is required.",
        ),
        "guest comment name": (guest, comments, {"name": " ", "body": "Hi"}, "enter your name"),
        "display name": (
            author,
            "/accounts/profile/",
            profile_form(display_name="\u3000"),
            "This field is required.",
        ),
        "blog title": (author, "/dashboard/blog/", blog_form(title=""), "This field is required."),
        "category name": (author, "/dashboard/categories/", {"name": ""}, "required"),
        "category name of spaces": (
            author,
            "/dashboard/categories/",
            {"name": "\u200b\u00a0"},
            "Please enter a name.",
        ),
        "sign-up": (guest, "/accounts/signup/", signup_form(username=""), "required"),
        "log-in": (guest, "/accounts/login/", {}, "This field is required."),
        "image": (author, "/dashboard/images/", {}, "This field is required."),
    }
    client, path, data, message = cases[what]
    unchanged()
    assert_refused(client.post(path, data), message)
    unchanged()


# ### Request bodies larger than Django reads ###


def test_a_body_over_the_memory_limit_is_refused_with_a_styled_page(
    alice_client, post, settings, unchanged
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    unchanged()
    response = alice_client.post("/dashboard/posts/new/", post_form(body="x" * 60_000))
    assert_styled(response, 413, "larger than Koe accepts")
    response = alice_client.post(
        f"/@alice/{post.pk}/comments/", {"name": "G", "body": "x" * 60_000}
    )
    assert response.status_code == 413
    unchanged()


# ### Unknown addresses ###


@pytest.mark.parametrize(
    "path",
    [
        "/@nobody/",
        "/@nobody/1/",
        "/@alice/999999/",
        "/@alice/999999/some-slug/",
        "/@alice/999999/likes/",
        "/@nobody/rss.xml",
        "/@nobody/feed.atom",
        "/tags/nosuchtag/",
        "/tags/onlydraft/",
        "/tags/%EF%BC%9Cscript%EF%BC%9E/",
        "/tags/a%EF%BC%8Fb/",
        "/tags/a%EF%BC%8Fb/rss.xml",
        "/no/such/page",
    ],
)
def test_unknown_addresses_are_a_styled_404(client, post, alice, path):
    publish(alice, title="Draft", body="x", tags=["onlydraft"], publish=False)
    assert_styled(client.get(path), 404, "Page not found")


def test_someone_elses_draft_is_a_404(client, alice, bob):
    draft = publish(alice, title="Draft", publish=False)
    assert _signed_in(bob).get(draft.get_absolute_url()).status_code == 404


# ### CSRF on every state-changing view ###


def _csrf_cases(post, category, comment):
    user = "alice"
    return {
        "sign-up": ("/accounts/signup/", signup_form()),
        "log-in": ("/accounts/login/", {"username": "alice", "password": PASSWORD}),
        "log-out": ("/accounts/logout/", {}),
        "profile": ("/accounts/profile/", profile_form(display_name="Changed")),
        "delete account": ("/accounts/delete/", {"password": PASSWORD}),
        "password change": (
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "n3w!pass!x",
                "new_password2": "n3w!pass!x",
            },
        ),
        "password reset": ("/accounts/password/reset/", {"email": "alice@example.com"}),
        "new post": ("/dashboard/posts/new/", post_form(publish="1")),
        "edit post": (f"/dashboard/posts/{post.pk}/edit/", post_form(title="Changed")),
        "delete post": (f"/dashboard/posts/{post.pk}/delete/", {}),
        "autosave new": ("/dashboard/posts/autosave", {"title": "T", "body": "B"}),
        "autosave": (f"/dashboard/posts/{post.pk}/autosave", {"title": "T", "body": "B"}),
        "preview": ("/dashboard/preview", {"body": "B"}),
        "upload image": ("/dashboard/images/", {}),
        "blog settings": ("/dashboard/blog/", blog_form(title="Changed")),
        "new category": ("/dashboard/categories/", {"name": "New"}),
        "rename category": (f"/dashboard/categories/{category.pk}/", {"name": "Changed"}),
        "delete category": (f"/dashboard/categories/{category.pk}/", {"delete": "1"}),
        "comment": (f"/@{user}/{post.pk}/comments/", {"name": "G", "body": "Hi"}),
        "like": (f"/@{user}/{post.pk}/like", {}),
        "moderate comment": (f"/dashboard/comments/{comment.pk}/", {"action": "delete"}),
        "language": ("/i18n/setlang/", {"language": "ja", "next": "/"}),
    }


CSRF_VIEWS = [
    "sign-up", "log-in", "log-out", "profile", "delete account", "password change",
    "password reset", "new post", "edit post", "delete post", "autosave new", "autosave",
    "preview", "upload image", "blog settings", "new category", "rename category",
    "delete category", "comment", "like", "moderate comment", "language",
]  # fmt: skip


@pytest.mark.parametrize("view", CSRF_VIEWS)
def test_csrf_is_enforced(alice, post, category, unchanged, view):
    comment = social_services.do_comment(post, alice, body="Mine")
    path, data = _csrf_cases(post, category, comment)[view]
    if view == "upload image":
        data = {"file": SimpleUploadedFile("a.png", image_bytes(), content_type="image/png")}
    client = Client(enforce_csrf_checks=True)
    if view not in ("sign-up", "log-in", "password reset"):
        client.force_login(alice)
    unchanged()
    response = client.post(path, data)
    assert_styled(response, 403, "This form has expired")
    unchanged()
    # With a stale token instead of none, the same.
    client.cookies["csrftoken"] = "a" * 32
    response = client.post(path, {**data, "csrfmiddlewaretoken": "b" * 32})
    assert_styled(response, 403, "This form has expired")
    unchanged()


# ### Methods ###


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/posts/autosave",
        "/dashboard/posts/{post}/autosave",
        "/dashboard/preview",
        "/dashboard/images/",
        "/@alice/{post}/comments/",
        "/@alice/{post}/like",
        "/dashboard/comments/{comment}/",
        "/accounts/logout/",
    ],
)
def test_get_on_post_only_endpoints_is_405(alice, post, unchanged, path):
    comment = social_services.do_comment(post, alice, body="Mine")
    client = _signed_in(alice)
    unchanged()
    response = client.get(path.format(post=post.pk, comment=comment.pk))
    assert response.status_code == 405
    assert "POST" in response["Allow"]
    unchanged()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_on_pages_are_405(client, post, method):
    for path in ("/", post.get_absolute_url(), "/@alice/", "/tags/kept/"):
        assert getattr(client, method)(path).status_code == 405


# ### Someone else's things ###


@pytest.mark.parametrize(
    "action",
    ["edit", "edit-get", "delete", "delete-get", "autosave", "category", "moderate"],
)
def test_someone_elses_things_are_404_and_unchanged(alice, bob, post, category, unchanged, action):
    comment = social_services.do_comment(post, bob, body="Bob's words")
    bob_client = _signed_in(bob)
    unchanged()
    request = {
        "edit": ("post", f"/dashboard/posts/{post.pk}/edit/", post_form(title="Taken")),
        "edit-get": ("get", f"/dashboard/posts/{post.pk}/edit/", None),
        "delete": ("post", f"/dashboard/posts/{post.pk}/delete/", {}),
        "delete-get": ("get", f"/dashboard/posts/{post.pk}/delete/", None),
        "autosave": ("post", f"/dashboard/posts/{post.pk}/autosave", {"title": "T", "body": "B"}),
        "category": ("post", f"/dashboard/categories/{category.pk}/", {"delete": "1"}),
        "moderate": ("post", f"/dashboard/comments/{comment.pk}/", {"action": "delete"}),
    }[action]
    method, path, data = request
    response = getattr(bob_client, method)(path, data) if data is not None else bob_client.get(path)
    assert_styled(response, 404, "Page not found")
    unchanged()


def test_a_category_of_another_blog_cannot_be_given_to_a_post(alice, bob, unchanged):
    theirs = blog_services.do_save_category(alice.blog, "Alice's")
    client = _signed_in(bob)
    unchanged()
    response = client.post("/dashboard/posts/new/", post_form(category=theirs.pk, publish="1"))
    assert_refused(response, "Select a valid choice.")
    unchanged()
