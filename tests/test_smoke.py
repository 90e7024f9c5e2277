"""The main pages answer for anonymous readers."""

from tests.conftest import publish


def test_front_page_lists_public_posts(client, alice):
    publish(alice, title="First post")
    response = client.get("/")
    assert response.status_code == 200
    assert "First post" in response.content.decode()


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_blog_and_post_pages(client, public_post):
    assert client.get("/@alice/").status_code == 200
    response = client.get(public_post.get_absolute_url())
    assert response.status_code == 200
    assert "Public words." in response.content.decode()
