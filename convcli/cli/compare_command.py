"""`convcli compare`: convolution beside correlation in one panel image, and how much they differ."""

from __future__ import annotations

from rich.markup import escape

from ..imaging import DEFAULT_MAX_PIXELS, compare_file
from ..kernels.properties import properties
from .app import app, stderr
from .filtering import check_method, kernel_transform
from .options import (
    AbsOpt,
    AnchorOpt,
    BorderOpt,
    ClipOpt,
    CvalOpt,
    DivisorOpt,
    ForceOpt,
    ImageArg,
    KernelOpt,
    MaxPixelsOpt,
    Method,
    MethodOpt,
    NormalizeOpt,
    OffsetOpt,
    OutputOpt,
    RescaleOpt,
    RotateOpt,
    ScaleOpt,
    ThreadsOpt,
    VerboseOpt,
    engine_options,
    prepared_kernel,
    result_mapping,
)


@app.command()
def compare(
    image: ImageArg,
    kernel: KernelOpt,
    rotate: RotateOpt = 0,
    anchor: AnchorOpt = None,
    normalize: NormalizeOpt = False,
    scale: ScaleOpt = None,
    divisor: DivisorOpt = None,
    offset: OffsetOpt = None,
    clip: ClipOpt = False,
    absolute: AbsOpt = False,
    rescale: RescaleOpt = False,
    output: OutputOpt = None,
    border: BorderOpt = "reflect",
    cval: CvalOpt = 0.0,
    force: ForceOpt = False,
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS,
    method: MethodOpt = Method.auto,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Write original | convolved | correlated | difference side by side; say how much they differ.
    Example: convcli compare photo.png --kernel emboss -o panel.png"""
    options = engine_options(border, cval, method, threads, verbose)
    resolved = prepared_kernel(kernel, rotate, anchor, normalize)
    value_mapping = result_mapping(resolved, scale, divisor, offset, clip, absolute, rescale)
    check_method(resolved.matrix, options)

    result = compare_file(
        image, output, f"compare-{resolved.label}",
        kernel_transform(resolved, False, options), kernel_transform(resolved, True, options),
        cval=options.cval, value_mapping=value_mapping.function, scale=value_mapping.scale,
        offset=value_mapping.offset, force=force, max_pixels=max_pixels or None,
    )
    facts = properties(resolved.matrix, resolved.centre)
    if result.max_difference == 0:
        legend = "difference (all black: there is none)"
    else:
        legend = (f"difference (|convolved - correlated| of the filter's values, before they are mapped to "
                  f"pixels, x {result.gain:.3g}: white is a difference of {result.white_difference:.4g} or more)")
    stderr.print(f"wrote {escape(str(result.path))}: original | convolved | correlated | {legend}", soft_wrap=True)
    if result.max_difference == 0 and facts.same_both_ways:
        stderr.print(f"The difference is exactly 0: every weight of {escape(resolved.label)} equals the one opposite "
                     "it across the anchor, so flipping the kernel changes nothing.", soft_wrap=True)
    elif result.max_difference == 0:
        stderr.print("The difference is 0 on this image, although the kernel is not its own 180-degree rotation: "
                     "the image has nothing the flip can show (a flat image?).", soft_wrap=True)
    else:
        why = ("it equals its 180-degree rotation, but its anchor is off-centre, so the flip shifts the result"
               if facts.flip_symmetric and not facts.same_both_ways
               else "rounding only: the kernel is symmetric about its anchor" if facts.same_both_ways
               else "convolution applies the kernel rotated 180 degrees, correlation as written")
        stderr.print(f"max |convolved - correlated| = {result.max_difference:.6g}, mean = "
                     f"{result.mean_difference:.6g} (in the input's pixel units): {why}.", soft_wrap=True)
