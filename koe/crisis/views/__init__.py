"""The crisis hub's pages: reading (pages), writing (actions), and the lite page and feeds."""
