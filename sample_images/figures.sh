#!/bin/sh
# Makes the figures of the README's "Convolution or correlation?" with convcli itself:
#   sh sample_images/figures.sh                              (convcli on the PATH)
#   CONVCLI=.venv/bin/convcli sh sample_images/figures.sh    (or any other convcli)
set -eu
convcli=${CONVCLI:-convcli}
here=$(dirname "$0")
"$convcli" compare "$here/camera.png" --kernel emboss --force -o "$here/figures/emboss.png"
"$convcli" compare "$here/camera.png" --kernel sobel-x --abs --force -o "$here/figures/sobel-x.png"
"$convcli" compare "$here/camera.png" --kernel motion:length=25,angle=0 --force -o "$here/figures/motion.png"
"$convcli" compare "$here/camera.png" --kernel gaussian:sigma=3 --force -o "$here/figures/gaussian.png"
