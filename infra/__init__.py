"""Infrastructure: the CDK app, its constructs, and the local stand-in for API Gateway."""
