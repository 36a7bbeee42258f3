"""Courses: catalogue, content, enrolment, the player, quizzes, completion, cmi5 packages."""
