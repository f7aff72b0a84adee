"""Side effects on asyncio: receiver, store, portal client, tunnel, session."""
