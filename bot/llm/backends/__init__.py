"""ChatModel implementations, one module each."""
