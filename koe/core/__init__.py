"""Small shared pieces: text rendering, images, slots, the server commands."""
