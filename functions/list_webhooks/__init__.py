"""Function list_webhooks."""
