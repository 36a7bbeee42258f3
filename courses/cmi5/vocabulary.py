"""The cmi5 vocabulary: verbs, activity types, categories and extensions (cmi5 9.3-9.6)."""

from __future__ import annotations

ADL = "http://adlnet.gov/expapi/verbs/"
ADL_W3ID = "https://w3id.org/xapi/adl/verbs/"
CMI5 = "https://w3id.org/xapi/cmi5/"

LAUNCHED = ADL + "launched"
INITIALIZED = ADL + "initialized"
COMPLETED = ADL + "completed"
PASSED = ADL + "passed"
FAILED = ADL + "failed"
TERMINATED = ADL + "terminated"
VOIDED = ADL + "voided"
ABANDONED = ADL_W3ID + "abandoned"
WAIVED = ADL_W3ID + "waived"
SATISFIED = ADL_W3ID + "satisfied"

#: The verbs an AU uses in cmi5 defined statements, by short name.
AU_VERBS = {
    INITIALIZED: "initialized",
    COMPLETED: "completed",
    PASSED: "passed",
    FAILED: "failed",
    TERMINATED: "terminated",
}
#: The verbs only the LMS uses.
LMS_VERBS = {LAUNCHED: "launched", ABANDONED: "abandoned", WAIVED: "waived", SATISFIED: "satisfied"}

CATEGORY_CMI5 = CMI5 + "context/categories/cmi5"
CATEGORY_MOVEON = CMI5 + "context/categories/moveon"

TYPE_BLOCK = CMI5 + "activitytype/block"
TYPE_COURSE = CMI5 + "activitytype/course"

EXT_SESSION_ID = CMI5 + "context/extensions/sessionid"
EXT_MASTERY_SCORE = CMI5 + "context/extensions/masteryscore"
EXT_LAUNCH_MODE = CMI5 + "context/extensions/launchmode"
EXT_LAUNCH_URL = CMI5 + "context/extensions/launchurl"
EXT_MOVE_ON = CMI5 + "context/extensions/moveon"
EXT_LAUNCH_PARAMETERS = CMI5 + "context/extensions/launchparameters"
EXT_REASON = CMI5 + "result/extensions/reason"
EXT_PROGRESS = CMI5 + "result/extensions/progress"

LAUNCH_DATA = "LMS.LaunchData"
LEARNER_PREFERENCES = "cmi5LearnerPreferences"
