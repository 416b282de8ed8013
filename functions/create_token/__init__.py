"""Function create_token."""
