"""The help center: articles, editor, import/export, try-it, sanitising, stale, gaps, news."""
