"""nbgrader for an instructor's own server: fetch and try assignments like a participant."""

import os

from latsar.course import COURSE_ID

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = COURSE_ID
c.Exchange.root = os.environ["LATSAR_EXCHANGE"]
# The single-user fallback runs every server as one OS account; name the participant.
if os.environ.get("LATSAR_STUDENT_ID"):
    c.CourseDirectory.student_id = os.environ["LATSAR_STUDENT_ID"]
