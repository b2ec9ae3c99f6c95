"""Channel senders: one small module each; endpoints and credentials come from settings."""
