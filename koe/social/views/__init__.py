"""Social's views, one concern per module."""
