"""`python -m convcli` and the `convcli` command. SIGTERM and Ctrl-C are answered from the first
moment, while the command line's modules are still loading, with one line and their exit code."""

import gc
import signal
import sys

from .errors import Terminated, raise_interrupted, raise_terminated

_STOPPED = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}


def main() -> int:
    # While the modules load there is nothing to clean up, and an exception raised inside the
    # import machinery would be printed and ignored: a signal is only noted, and answered after.
    noted = []
    for number in _STOPPED:
        signal.signal(number, lambda signum, frame: noted.append(signum))
    from .cli import main as run

    if noted:
        return _stopped(noted[0])
    try:
        # From here on each is an exception, raised once: a second is ignored while the first is answered.
        signal.signal(signal.SIGINT, raise_interrupted)
        signal.signal(signal.SIGTERM, raise_terminated)
        return run()
    except KeyboardInterrupt:  # where run() answers none: its own error line being printed, say
        return _stopped(signal.SIGINT)
    except Terminated:
        return _stopped(signal.SIGTERM)
    finally:
        # Done or abandoned: a signal while the interpreter exits would only print a traceback.
        for number in _STOPPED:
            signal.signal(number, signal.SIG_IGN)
        # The interpreter's exit would search every object it made for cycles, 33,000 for a blur:
        # 50 ms of a small image's run. Their memory goes back to the system with the process, and
        # each file has been closed by the code that wrote it.
        gc.freeze()


def _stopped(number: int) -> int:
    """One line for the signal `number`, and its exit code."""
    code, what = _STOPPED[number]
    sys.stderr.write(f"error: {what}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
