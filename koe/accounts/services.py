"""Actions on accounts: each owns its transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from koe.accounts.models import Block, User
from koe.accounts.signals import account_deleting, user_blocked, user_signed_up
from koe.core import images


@transaction.atomic
def do_sign_up(
    *, username: str, email: str, password: str | None, display_name: str, language: str = ""
) -> User:
    user = User(
        username=username.lower(),
        email=email,
        display_name=display_name,
        language=language,
    )
    user.set_password(password)  # None makes an account that cannot log in (demo, imports)
    user.save()
    user_signed_up.send(sender=User, user=user)
    return user


@transaction.atomic
def do_update_profile(user: User, *, avatar_upload=None, **fields) -> User:
    for name, value in fields.items():
        setattr(user, name, value)
    old_files = []
    if avatar_upload is not None:
        stored = images.store_image(avatar_upload, "avatars", images.AVATAR_VARIANTS)
        old_files = [user.avatar, user.avatar_small]
        user.avatar = stored.names["avatar"]
        user.avatar_small = stored.names["avatar_small"]
        # If the transaction fails, the new files go; if it commits, the old ones do.
        transaction.on_commit(lambda: images.delete_files(old_files))
    user.save()
    return user


@transaction.atomic
def do_remove_avatar(user: User) -> None:
    old = [user.avatar, user.avatar_small]
    user.avatar = user.avatar_small = ""
    user.save(update_fields=["avatar", "avatar_small"])
    transaction.on_commit(lambda: images.delete_files(old))


@transaction.atomic
def do_delete_account(user: User) -> None:
    """Delete a person and everything they made; files go once the rows are gone."""
    files: list[str] = [user.avatar, user.avatar_small]
    account_deleting.send(sender=User, user=user, files=files)
    user.delete()
    transaction.on_commit(lambda: images.delete_files(files))


# ### Blocks ###


def is_blocked(user_a, user_b) -> bool:
    """True when either of the two has blocked the other."""
    if not (getattr(user_a, "pk", None) and getattr(user_b, "pk", None)):
        return False
    a, b = user_a.pk, user_b.pk
    return Block.objects.filter(
        Q(blocker_id=a, blocked_id=b) | Q(blocker_id=b, blocked_id=a)
    ).exists()


def blocked_user_ids(user) -> set[int]:
    """Everyone this person blocked or was blocked by."""
    if not getattr(user, "pk", None):
        return set()
    made = Block.objects.filter(blocker_id=user.pk).values_list("blocked_id", flat=True)
    received = Block.objects.filter(blocked_id=user.pk).values_list("blocker_id", flat=True)
    return set(made) | set(received)


@transaction.atomic
def do_block(blocker: User, blocked: User) -> bool:
    """Block someone; blocking twice changes nothing. True when a block was added."""
    if blocker.pk == blocked.pk:
        raise ValidationError(_("You cannot block yourself."), code="self")
    _block, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    if created:
        user_blocked.send(sender=User, blocker=blocker, blocked=blocked)
    return created


@transaction.atomic
def do_unblock(blocker: User, blocked: User) -> bool:
    deleted, _rows = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return bool(deleted)
