"""Language models: the ChatModel backends (OpenAI-compatible, local) and their guard."""
