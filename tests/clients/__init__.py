"""Real Server-Sent Events clients read streams served by the ssegen runtime."""
