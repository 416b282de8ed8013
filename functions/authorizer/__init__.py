"""Function authorizer."""
