"""tests/conftest.py gives every test a time limit (SIGALRM): a hung test fails
alone instead of stalling the suite. This module sets a limit of 1 s."""
import signal
import time

import pytest

TEST_TIMEOUT_S = 1


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="no SIGALRM on this platform")
def test_a_test_past_its_modules_limit_is_stopped():
    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match="more than 1 s"):
        time.sleep(30)
    assert time.monotonic() - t0 < 10
