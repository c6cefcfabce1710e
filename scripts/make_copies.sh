#!/bin/sh
# Twenty perturbed copies of a video, measured (issue 19, docs/validation.md): re-encoded over a
# range of qualities, scaled 0.5..0.9, mirrored, trimmed, brighter / darker / other contrast,
# another frame rate. Usage: scripts/make_copies.sh VIDEO OUT_DIR [PYTHON]
# Writes OUT_DIR/<name>.synk for the original and every copy; a copy whose name contains
# "mirror" is a horizontally flipped video (scripts/validate_findings.py swaps its sides).
# With SET=heldout, four other perturbations instead, kept out of any tuning (docs/validation.md):
# crf 30 scaled to 0.65, 20 frames per second, a hue and saturation shift, both ends trimmed by
# 5 % of the duration.
# With ENGINE=NAME, measured with that landmark engine (synk measure --engine; default the default
# engine), e.g. ENGINE=mediapipe-tasks for the reference engine's copies.
# Heavy: run it with nice on a shared machine.
set -eu
video=$1; out=$2; python=${3:-python}; set_=${SET:-main}
engine=${ENGINE:+--engine $ENGINE}
name=$(basename "$video" .mp4)
mkdir -p "$out"
copy() {  # copy TAG ffmpeg-args...
    tag=$1; shift
    [ -s "$out/$name-$tag.synk" ] && return 0
    ffmpeg -v error -y -i "$video" "$@" -an "$out/$name-$tag.mp4"
    $python -m synkinesis measure "$out/$name-$tag.mp4" -o "$out/$name-$tag.synk" $engine >/dev/null
    rm -f "$out/$name-$tag.mp4"
}
[ -s "$out/$name.synk" ] || $python -m synkinesis measure "$video" -o "$out/$name.synk" $engine >/dev/null
duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$video")
if [ "$set_" = heldout ]; then
    copy heldout-crf30-scale0.65 -vf "scale=trunc(iw*0.65/2)*2:-2" -c:v libx264 -crf 30
    copy heldout-fps20 -vf fps=20 -c:v libx264 -crf 18
    copy heldout-hue -vf hue=h=25:s=1.3 -c:v libx264 -crf 18
    copy heldout-trim-both -ss "$(echo "$duration" | awk '{print $1 * 0.05}')" \
        -t "$(echo "$duration" | awk '{print $1 * 0.9}')" -c:v libx264 -crf 18
    exit 0
fi
for crf in 18 23 28 33 38; do copy "crf$crf" -c:v libx264 -crf "$crf"; done
for s in 0.5 0.6 0.7 0.8 0.9; do copy "scale$s" -vf "scale=trunc(iw*$s/2)*2:-2" -c:v libx264 -crf 18; done
copy mirror -vf hflip -c:v libx264 -crf 18
copy mirror-scale0.7 -vf "hflip,scale=trunc(iw*0.7/2)*2:-2" -c:v libx264 -crf 18
copy trim-start -ss 0.5 -c:v libx264 -crf 18
copy trim-end -t "$(echo "$duration" | awk '{print $1 - 1}')" -c:v libx264 -crf 18
copy bright -vf eq=brightness=0.08:contrast=1.2 -c:v libx264 -crf 18
copy dark -vf eq=brightness=-0.08:contrast=0.85 -c:v libx264 -crf 18
copy gamma -vf eq=gamma=1.3 -c:v libx264 -crf 18
copy fps15 -vf fps=15 -c:v libx264 -crf 18
copy fps24 -vf fps=24 -c:v libx264 -crf 18
copy crf28-scale0.75 -vf "scale=trunc(iw*0.75/2)*2:-2" -c:v libx264 -crf 28
