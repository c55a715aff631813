"""Language models: the ChatModel protocol, its backends (OpenAI-compatible, local), their guard."""
