"""The crisis hub: declared crises, official alerts, safety check-ins and structured reports."""
