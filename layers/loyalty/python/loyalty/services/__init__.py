"""Business rules, one module per capability; handlers call exactly one function here."""
