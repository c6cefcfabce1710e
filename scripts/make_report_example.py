"""Make the visit-report example shown in README.md and docs/report.md.

    python scripts/make_report_example.py [--media DIR] [--out-dir docs/img] [--pages 2]
                                          [--dpi 80] [--pdf report.pdf]

Builds a throw-away patient record (a temporary SQLite file): patient EX01, left-sided Bell's
palsy; a baseline visit (clinician's Sunnybrook, a toxin session) and the reported visit with
the shared healthy video single_face.mp4 recorded with its guided spans and analysed, a
clinician's Sunnybrook and a second toxin session. Writes the visit report as PDF (as
`synk report` does), turns its first pages (report_page1.png: header and summary;
report_page2.png: quality and findings) into PNGs with Debian's pdftoppm (poppler-utils) at
80 dpi and shrinks them to a 64-colour palette with Pillow, so the pictures in the docs are
made by the program, not by hand. Needs the report extra and pdftoppm.

The video is of a healthy face: the findings say so; the scores are a textbook test vector
(CLINICAL.md), not this person's.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 1)
VISIT = "EX01@2026-09-14"
#: Sunnybrook items of the CLINICAL.md test vector (total 37).
SUNNYBROOK = {
    "rest_eye": "narrow", "rest_cheek": 1, "rest_mouth": 1,
    "voluntary_brow_lift": 3, "voluntary_eye_closure": 4, "voluntary_smile": 3,
    "voluntary_snarl": 3, "voluntary_pucker": 2,
    "synkinesis_brow_lift": 1, "synkinesis_eye_closure": 2, "synkinesis_smile": 2,
    "synkinesis_snarl": 1, "synkinesis_pucker": 2,
}
#: Guided spans of single_face.mp4 (2.4 s), as the recorder gives them.
SPANS = ({"task": "rest", "start_s": 0.0, "end_s": 0.5},
         {"task": "big_smile", "start_s": 0.7, "end_s": 2.3})


def build_record(root: Path, media: Path):
    """The example record; returns its settings."""
    from synkinesis.store import open_store, repository
    from synkinesis.store.settings import load_settings
    from synkinesis.workflow import WorkflowOptions, record_recording

    settings = load_settings(database_url=f"sqlite:///{root / 'record.sqlite'}",
                             environ={"SYNK_DATA_DIR": str(root / "derived")})
    store = open_store(settings)
    with store.transaction() as session:
        repository.create_patient(session, code="EX01", affected_side="left",
                                  cause="bell_palsy", onset_date="2025-01-10", notes="",
                                  today=TODAY)
        for day, label in (("2026-06-01", "baseline"), ("2026-09-14", "toxin review")):
            repository.create_visit(session, patient_code="EX01", visit_date=day, label=label,
                                    clinician="Dr A", notes="", today=TODAY)
    with store.transaction() as session:
        for day, smile, oo_units in (("2026-06-01", 2, 7.5), ("2026-09-14", 1, 10.0)):
            visit = repository.find_visit(session, ref=f"EX01@{day}")
            repository.add_score(session, visit=visit, instrument="sunnybrook",
                                 items={**SUNNYBROOK, "synkinesis_smile": smile},
                                 rater_name="Dr A",
                                 rated_at=datetime.fromisoformat(day).replace(hour=10,
                                                                              tzinfo=UTC))
            repository.add_toxin_session(
                session, patient_code="EX01", session_date=day, product="botox",
                dilution="100 U / 2.5 mL", clinician="Dr A", notes="", visit=visit,
                injections=[repository.InjectionSpec("oo", "left", oo_units, 3),
                            repository.InjectionSpec("mentalis", "left", 2.5)],
                settings=settings, today=TODAY)
    outcome = record_recording(store, video=media / "single_face.mp4", visit_ref=VISIT,
                               options=WorkflowOptions(spans=SPANS))
    store.close()
    if outcome.analysis_path is None:
        raise SystemExit(f"the example video was not analysed: {outcome.analysis_status}")
    return settings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=None,
                        help="Folder with single_face.mp4 (default: as the tests find it).")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--pages", type=int, default=2, help="How many first pages.")
    parser.add_argument("--pdf", type=Path, default=None, help="Also keep the PDF here.")
    parser.add_argument("--dpi", type=int, default=80)
    args = parser.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        print("error: pdftoppm not found (apt-get install poppler-utils)", file=sys.stderr)
        return 2
    media = args.media
    if media is None:
        sys.path.insert(0, str(ROOT / "scripts"))
        from fetch_media import candidates

        media = next((c for c in candidates() if (c / "single_face.mp4").is_file()), None)
    if media is None or not (media / "single_face.mp4").is_file():
        print("error: single_face.mp4 not found: pass --media DIR or set SYNK_MEDIA_DIR",
              file=sys.stderr)
        return 2

    from PIL import Image

    from synkinesis.reports.visit_report import collect_visit_report, write_visit_report
    from synkinesis.store import open_store

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = build_record(root, media)
        store = open_store(settings)
        with store.reading() as session:
            report = collect_visit_report(session, visit_ref=VISIT, video_folders=[media],
                                          now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
        store.close()
        pdf = write_visit_report(report, root / "report.pdf")
        if args.pdf is not None:
            shutil.copyfile(pdf, args.pdf)
        subprocess.run(["pdftoppm", "-f", "1", "-l", str(args.pages), "-r", str(args.dpi),
                        "-png", str(pdf), str(root / "page")], check=True)
        args.out_dir.mkdir(parents=True, exist_ok=True)
        for number, png in enumerate(sorted(root.glob("page-*.png")), start=1):
            page = Image.open(png).convert("RGB")
            out = args.out_dir / f"report_page{number}.png"
            page.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
            print(f"wrote {out} ({out.stat().st_size // 1024} KB, {page.width}x{page.height})")
    if args.pdf is not None:
        print(f"wrote {args.pdf}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
