"""The repository: the only code that talks to DynamoDB (keys, marshalling, reads, transactions)."""
