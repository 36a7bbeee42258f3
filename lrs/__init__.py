"""The xAPI Learning Record Store (xAPI 1.0.3 and 2.0), mounted at /xapi."""
