"""Features: fixed-bucket velocity windows, links between customers, devices and phones, and
customer profiles, computed from the events the engine has seen."""
