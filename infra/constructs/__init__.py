"""CDK constructs, one per concern: table, API, route functions, jobs, observability."""
