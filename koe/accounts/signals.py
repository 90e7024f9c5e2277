"""What accounts tells other apps. Receivers run inside the action's transaction."""

from django.dispatch import Signal

#: A new person signed up: sender=User class, user=the new user.
user_signed_up = Signal()
#: blocker blocked blocked: receivers end what connected them (follows, memberships).
user_blocked = Signal()
#: A person is about to be deleted: receivers collect files to remove after commit.
account_deleting = Signal()
