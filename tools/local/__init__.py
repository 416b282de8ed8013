"""The local stack: an embedded DynamoDB and an API Gateway stand-in that runs the real handlers."""
