"""The course services: catalogue, authoring, enrolment, the player and its projection, transcript."""
