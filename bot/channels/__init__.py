"""Channels: each turns its own updates into neutral events and renders neutral replies within its limits."""
