"""People: sign-up, log-in, profiles, settings and account deletion."""
