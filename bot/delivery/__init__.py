"""Delivering what the bot says: the outbox (durable, rate-limited, retried), direct replies, and the supervisor that
keeps long-running tasks alive."""
