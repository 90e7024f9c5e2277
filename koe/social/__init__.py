"""Readers and writers together: comments and likes (follows, feeds and more later)."""
