"""Project tooling beside the CDK app: the operator CLI, the local API server, the bench and the OpenAPI generator."""
