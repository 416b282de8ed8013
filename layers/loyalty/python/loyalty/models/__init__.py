"""Request and response shapes of every operation (validation and OpenAPI come from these)."""
