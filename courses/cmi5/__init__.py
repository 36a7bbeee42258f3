"""cmi5: course packages of blocks and AUs, their launch sessions, and moveOn.

The LMS side of the cmi5 specification (Quartz): a package (``cmi5.xml``, alone or at the
root of a ZIP) is validated and imported into a course; a learner's launch of an AU gets a
session with one-time restricted LRS credentials; the AU's statements are checked against
the cmi5 rules as they arrive, and moveOn is evaluated on them to issue ``satisfied`` for
blocks and the course.
"""
