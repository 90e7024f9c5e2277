"""Discovery: search now; rankings, trends and recommendations later."""
