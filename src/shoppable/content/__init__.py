"""Shoppable content: creator profiles and follows, the Showcase, media, videos with anchors and tiles, the feed."""
