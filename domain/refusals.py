"""Names of the refusals that cross Temporal (as ApplicationError types) and reach callers.

The API maps them to HTTP: FORBIDDEN -> 403, NOT_ALLOWED_NOW -> 409, INVALID_INPUT and
INVALID_DATA -> 422.
"""

FORBIDDEN = "Forbidden"
NOT_ALLOWED_NOW = "NotAllowedNow"
# A message whose text the database cannot store, refused by the workflow's validator.
INVALID_INPUT = "InvalidInput"
# A value the database refused inside an activity: no retry can fix it.
INVALID_DATA = "InvalidData"
