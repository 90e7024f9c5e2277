"""Log in with a username or an e-mail address."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class UsernameOrEmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        User = get_user_model()
        username = username.strip()
        field = "email__iexact" if "@" in username else "username"
        try:
            user = User.objects.get(
                **{field: username.lower() if field == "username" else username}
            )
        except (User.DoesNotExist, User.MultipleObjectsReturned):
            User().set_password(password)  # the same work either way: no timing tell
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
