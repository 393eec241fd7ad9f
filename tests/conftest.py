"""Suite-wide settings."""

import os

# PTB 22 warns when RetryAfter.retry_after is read as a number; with warnings as errors
# that warning would replace the RetryAfter itself. Opt in to timedelta values.
os.environ.setdefault("PTB_TIMEDELTA", "1")
