"""Function create_webhook."""
