"""Built-in analytics: page views counted on the server, without cookies or stored addresses."""
