"""Cases: the review queue linking decisions, events and alerts; outcomes become labels."""
