"""convcli: image filtering by true convolution (or, on request, correlation) in NumPy.

>>> import convcli
>>> convcli.convolve([1, 0.5, 1, 1], [1, 0.5, 0.25], size="full").tolist()
[1.0, 1.0, 1.5, 1.625, 0.75, 0.25]
"""

__version__ = "0.1.0"
__all__ = ["BORDER_MODES", "convolve", "correlate"]


def __getattr__(name: str):
    # The engine, and NumPy with it, loads on first use: the command line's start-up and
    # `convcli --help` do not pay for it.
    if name in __all__:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'convcli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*globals(), *__all__]
