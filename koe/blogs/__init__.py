"""Blogs and posts: the editor, Markdown, images, designs, genres, feeds and the sitemap."""
