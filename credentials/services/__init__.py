"""The credentials' services: keys, issuing and signing, revocation, verification."""
