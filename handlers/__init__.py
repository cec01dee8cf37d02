"""Conversation flows and the parsers of what people type."""
