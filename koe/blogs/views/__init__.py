"""Blogs' views: public pages for readers, the dashboard and editor for writers."""
