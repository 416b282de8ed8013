"""Function update_webhook."""
