"""The GDX services: consumers and tokens, the feed, the outbox and the push, the schedule."""
