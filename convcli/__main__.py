"""`python -m convcli` and the `convcli` command. SIGTERM and Ctrl-C are answered from the first
moment, while the command line's modules are still loading, with one line and their exit code."""

import signal
import sys

from .errors import raise_terminated

_STOPPED = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}


def main() -> int:
    # While the modules load there is nothing to clean up, and an exception raised inside the
    # import machinery would be printed and ignored: a signal is only noted, and answered after.
    noted = []
    for number in _STOPPED:
        signal.signal(number, lambda signum, frame: noted.append(signum))
    from .cli import main as run

    if noted:
        code, what = _STOPPED[noted[0]]
        sys.stderr.write(f"error: {what}\n")
        return code
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, raise_terminated)
    return run()


if __name__ == "__main__":
    sys.exit(main())
