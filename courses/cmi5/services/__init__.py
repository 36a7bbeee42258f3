"""cmi5 services: import, registration and launch, session rules, moveOn and satisfaction."""
