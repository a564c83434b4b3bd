"""Pure risk types: events, feature vectors, decisions and reasons."""
