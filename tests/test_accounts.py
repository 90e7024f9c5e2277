"""Sign-up, log-in, passwords, profile and account deletion."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

import koe.settings as production_settings
from koe.blogs.models import Blog, Image, Post
from koe.social.models import Comment
from tests.conftest import PASSWORD, image_bytes, make_user, publish

User = get_user_model()


def test_sign_up_creates_account_and_blog_and_logs_in(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "Hanako",
            "display_name": "花子",
            "email": "hanako@example.com",
            "password": PASSWORD,
        },
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert response.status_code == 302
    user = User.objects.get(username="hanako")
    assert user.blog.title == "花子のブログ"
    assert client.get("/dashboard/").status_code == 200


def test_sign_up_refuses_taken_names_and_weak_passwords(client, alice):
    response = client.post(
        "/accounts/signup/",
        {"username": "alice", "display_name": "A", "email": "ALICE@example.com", "password": "123"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "already taken" in body and "already exists" in body and "too short" in body
    assert User.objects.count() == 1


def test_log_in_with_username_or_email(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    response = client.post(
        "/accounts/login/", {"username": "ALICE@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_wrong_password_is_a_400_with_a_message(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 400
    assert "correct username and password" in response.content.decode()


def test_log_out_is_a_post(alice_client):
    assert alice_client.post("/accounts/logout/").status_code == 302
    assert alice_client.get("/dashboard/").status_code == 302


def test_password_change(alice_client, alice):
    response = alice_client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a new long passphrase")


def test_password_reset_by_email(client, alice):
    response = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(
        r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body
    ).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(
        form_url,
        {"new_password1": "brand new secret words", "new_password2": "brand new secret words"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("brand new secret words")


def test_profile_with_avatar_is_reencoded(alice_client, alice):
    upload = SimpleUploadedFile(
        "me.jpg", image_bytes("JPEG", (600, 400)), content_type="image/jpeg"
    )
    response = alice_client.post(
        "/accounts/profile/",
        {
            "display_name": "Alice A.",
            "bio": "I write.",
            "language": "ja",
            "time_zone": "Asia/Tokyo",
            "avatar_upload": upload,
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.display_name, alice.language, alice.time_zone) == ("Alice A.", "ja", "Asia/Tokyo")
    assert alice.avatar.endswith("-avatar.webp") and "me" not in alice.avatar
    assert default_storage.exists(alice.avatar)


def test_profile_refuses_unknown_time_zone(alice_client, alice):
    response = alice_client.post(
        "/accounts/profile/", {"display_name": "A", "time_zone": "Mars/Base"}
    )
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.time_zone == ""


def test_delete_account_removes_everything(
    alice_client, alice, bob, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("p.png", image_bytes(), content_type="image/png")
    image_url = alice_client.post("/dashboard/images/", {"file": upload}).json()["url"]
    post = publish(alice, body=f"![x]({image_url})")
    from koe.social.services import do_comment

    do_comment(post, bob, body="nice")
    image = Image.objects.get()
    files = image.files
    assert all(default_storage.exists(f) for f in files)
    assert alice_client.post("/accounts/delete/", {"password": "wrong"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(username="alice").exists()
    assert not Blog.objects.filter(owner__username="alice").exists()
    assert not Post.objects.exists() and not Comment.objects.exists()
    assert not any(default_storage.exists(f) for f in files)


def test_production_hashes_passwords_with_argon2():
    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_language_follows_accept_language_and_the_switcher(client, db):
    assert 'lang="ja"' in client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()


def test_user_language_preference_applies_when_signed_in(client, db):
    user = make_user("kenji", language="ja")
    client.force_login(user)
    assert 'lang="ja"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_profile_picture_can_be_removed(alice_client, alice, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("me.png", image_bytes(), content_type="image/png")
    alice_client.post("/accounts/profile/", {"display_name": "Alice", "avatar_upload": upload})
    alice.refresh_from_db()
    old = alice.avatar
    assert "Remove the profile picture" in alice_client.get("/accounts/profile/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/accounts/profile/", {"display_name": "Alice", "remove_avatar": "on"})
    alice.refresh_from_db()
    assert alice.avatar == "" and not default_storage.exists(old)
