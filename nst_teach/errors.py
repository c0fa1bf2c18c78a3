"""The one exception type a user ever sees.

Every mistake a user can make (a missing file, an unknown layer name, a negative weight…) raises
`NSTError` with a one-line message that names the problem *and* the fix. The CLI turns it into
``error: <message>`` and exit code 2, without a traceback.
"""


class NSTError(ValueError):
    """A user-facing error: one line, says what was wrong and what to do instead."""
