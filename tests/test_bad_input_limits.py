"""Bad input, continued: rate limits on credentials, honeypots, and refusals in Japanese."""

from __future__ import annotations

import pytest
from django.test import Client

from koe.accounts.models import User
from tests.bad_input import (  # noqa: F401 - fixtures are found by name
    assert_refused,
    assert_styled,
    post,
    post_form,
    profile_form,
    signup_form,
    unchanged,
)
from tests.conftest import PASSWORD

# ### Rate limits ###


def _log_in(client: Client, username: str, password: str = "wrong password"):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_log_in_locks_after_five_failures_for_one_username(alice):
    client = Client()
    for _ in range(4):
        assert _log_in(client, "alice").status_code == 400
    # The fifth failure is answered with the lock, and so is the right password after it.
    assert_styled(_log_in(client, "alice"), 429, "Too many attempts")
    locked = _log_in(client, "alice", PASSWORD)
    assert_styled(locked, 429, "Too many attempts")
    # Another address is refused too: the lock is on the username.
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert _log_in(other, "alice", PASSWORD).status_code == 429
    assert "_auth_user_id" not in other.session


def test_log_in_locks_after_five_failures_from_one_address(alice, bob):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for i in range(4):
        assert _log_in(client, f"someone{i}").status_code == 400
    assert_styled(_log_in(client, "someone4"), 429, "Too many attempts")
    locked = _log_in(client, "bob", PASSWORD)
    assert_styled(locked, 429, "Too many attempts")
    assert "_auth_user_id" not in client.session


def test_sign_up_is_limited_per_address(db, unchanged):
    client = Client(REMOTE_ADDR="192.0.2.44")
    for i in range(10):
        response = client.post("/accounts/signup/", signup_form(username=f"u{i}", email="bad"))
        assert response.status_code == 400
    unchanged()
    response = client.post("/accounts/signup/", signup_form())
    assert_styled(response, 429, "Too many requests")
    unchanged()
    # Someone else, from another address, may still sign up.
    other = Client(REMOTE_ADDR="192.0.2.45")
    assert other.post("/accounts/signup/", signup_form()).status_code == 302


# ### Honeypots ###


def test_the_comment_honeypot_refuses_and_writes_nothing(client, post, unchanged):
    unchanged()
    response = client.post(
        f"/@alice/{post.pk}/comments/",
        {"name": "Robot", "body": "Buy now", "website": "https://spam.example/"},
    )
    assert_refused(response, "Something went wrong. Please try again.")
    unchanged()


def test_the_sign_up_honeypot_refuses_and_writes_nothing(client, db, unchanged):
    unchanged()
    response = client.post("/accounts/signup/", signup_form(website="https://spam.example/"))
    assert_refused(response, "Something went wrong. Please try again.")
    unchanged()


# ### In Japanese too ###


@pytest.mark.parametrize(
    "path,data",
    [
        ("/dashboard/posts/new/", post_form(title="", body="x" * 100_001)),
        ("/dashboard/categories/", {"name": "c" * 41}),
        ("/dashboard/preview", {"body": "\x00"}),
        ("/dashboard/images/", {"file": "not a file"}),
        ("/accounts/profile/", profile_form(display_name="")),
    ],
)
def test_bad_input_in_japanese_is_a_4xx(alice, path, data, unchanged):
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(alice)
    User.objects.filter(pk=alice.pk).update(language="ja")
    unchanged()
    response = client.post(path, data)
    assert 400 <= response.status_code < 500
    assert response.get("Content-Language", "ja") == "ja"
    unchanged()
