"""Live shopping: lives, the room hub over WebSocket, pins, flash sales, live coupons, chat and its moderation."""
