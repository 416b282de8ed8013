"""Function rotate_webhook_secret."""
