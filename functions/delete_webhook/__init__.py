"""Function delete_webhook."""
