"""Gallery: the public Python API on one recording (docs/api.md).

    python scripts/api_example.py VIDEO [PROTOCOL.json]

Measures the video in memory (nothing is written), prints the per-frame table's shape and a
few columns, then the findings table and the analysis' warnings. Needs the research extra
(pandas): pip install 'synkinesis[research]'.
"""

from __future__ import annotations

import sys

import synkinesis


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    measurement = synkinesis.measure_recording(argv[0], method="composite-edges")
    frames = measurement.to_dataframe()
    print(f"{measurement.n_frames} frames, {len(frames.columns)} columns")
    print(frames[["time_s", "flag_NO_FACE", "flag_BLINK_LEFT", "landmark_source_left",
                  "palpebral_fissure_left_mm"]].head(3).to_string())
    result = synkinesis.analyze(measurement, protocol=argv[1] if len(argv) > 1 else None)
    print(f"affected side: {result.affected_side}")
    print(result.findings[["pattern", "side", "index", "severity", "confidence"]]
          .to_string(index=False))
    for warning in result.warnings:
        print(f"note: {warning}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
