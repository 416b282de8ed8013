"""Function get_webhook."""
