"""The crisis hub's background jobs, here so Huey finds them: telling followers someone is safe."""

from koe.crisis.safety import notify_followers_of_checkin

__all__ = ["notify_followers_of_checkin"]
