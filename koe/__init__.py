"""Koe (声): an open blogging and real-time community platform."""

__version__ = "0.1.0"
