"""Infrastructure: the CDK app and its constructs (one per concern)."""
