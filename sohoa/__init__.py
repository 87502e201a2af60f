"""sohoa."""
