"""One Lambda function per operation; each folder is one function's code asset."""
