/* Biofeedback: rest phase, then live bars for the target and the unwanted movement. */
"use strict";
(function () {
  const root = document.getElementById("exercise");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const video = $("camera");
  const REST_FRAMES = 20;
  let phase = "calibrating";
  let restFrames = 0;
  let exercise = null;
  let skippedBefore = 0;

  function setBar(id, value, max) {
    const fill = $(id).querySelector(".fill");
    const fraction = value === null || value === undefined ? 0 : Math.max(0, Math.min(1, value / max));
    fill.style.width = (100 * fraction).toFixed(1) + "%";
    $(id).dataset.value = value === null || value === undefined ? "" : String(value);
  }
  function setMark(id, value, max) { $(id).style.left = (100 * Math.min(1, value / max)).toFixed(1) + "%"; }

  function onFrame(m) {
    const problem = SynkLive.faceProblem(m);
    $("face-status").textContent = problem || (m.calibrated ? "Face OK." : "Measuring your face size…");
    $("face-status").classList.toggle("error", !!problem);
    if (phase === "calibrating" && m.calibrated) {
      phase = "rest";
      $("prompt").textContent = "Relax your whole face and look at the camera…";
    }
    if (phase === "rest" && m.calibrated && !problem) {
      restFrames += 1;
      if (restFrames >= REST_FRAMES) {
        phase = "exercise";
        $("prompt").textContent = exercise.label + ": " + root.dataset.instruction;
        $("finish").disabled = false;
      }
    }
    const f = m.feedback;
    if (!f) return;
    const max = parseFloat($("target-bar").dataset.max);
    setBar("target-bar", f.target_mm, max);
    setBar("unwanted-bar", f.unwanted_mm, max);
    $("target-value").textContent = f.target_mm === null ? "–" : f.target_mm.toFixed(1) + " mm";
    $("unwanted-value").textContent = f.unwanted_mm === null ? "–" : f.unwanted_mm.toFixed(1) + " mm";
    $("warning").hidden = !f.warning;
    $("unwanted-bar").classList.toggle("over", f.warning);
    $("hold").textContent = f.holding_s.toFixed(1);
    $("reps").textContent = String(f.reps);
    $("score").textContent = f.score === null ? "–" : String(f.score);
  }

  (async function main() {
    root.dataset.instruction = $("prompt").textContent;
    const stream = await SynkLive.startCamera(video, $("camera-status"));
    if (!stream) { $("prompt").textContent = "The exercise needs the camera: see the message in red."; return; }
    const query = new URLSearchParams(location.search);
    const fps = parseFloat(query.get("fps") || "30");
    // One frame in flight: each frame waits for the previous feedback, so delay never builds up.
    const inFlight = parseInt(query.get("inflight") || "1", 10);
    const live = SynkLive.connect({patient: root.dataset.code, exercise: root.dataset.exercise}, {
      onMessage: (m) => {
        if (m.type === "ready") {
          exercise = m.exercise;
          const max = parseFloat($("target-bar").dataset.max);
          setMark("goal-mark", exercise.goal_mm, max);
          setMark("threshold-mark", exercise.threshold_mm, max);
          $("prompt").textContent = "Hold still, face the camera: measuring…";
        } else if (m.type === "frame") {
          onFrame(m);
        } else if (m.type === "saved") {
          const s = m.summary;
          $("session-message").hidden = true;
          $("saved").hidden = false;
          $("saved").textContent = "Saved: " + s.repetitions + " repetition(s), score " +
            (s.score_pct === undefined ? "–" : s.score_pct) + " %, " + s.warnings + " warning(s).";
          live.stop();
        } else if (m.type === "error") {
          // its own line: the face status below the video is rewritten on every frame
          $("session-message").textContent = m.message;
          $("session-message").hidden = false;
          // e.g. "no repetition was completed": the session goes on and can be finished later
          if (phase === "exercise" && $("saved").hidden) $("finish").disabled = false;
        }
        const st = live.stats;
        if (st.latencies.length && st.latencies.length % 30 === 0) {
          const sorted = st.latencies.slice(-300).sort((a, b) => a - b);
          // Frames skipped here (one in flight) or dropped by the server (newest wins) since
          // the last update: the feedback stays current but comes less often.
          const skipped = st.skipped + st.serverDropped - skippedBefore;
          skippedBefore = st.skipped + st.serverDropped;
          $("latency").textContent = "Feedback delay: median " + sorted[Math.floor(sorted.length / 2)].toFixed(0) + " ms" +
            (skipped > 0 ? "; " + skipped + " camera frame(s) skipped to keep it current (the computer is busy)" : "");
        }
      },
      onClose: () => { $("camera-status").textContent = "Connection closed. Reload to continue."; },
    });
    live.start(video, fps, () => (phase === "exercise" ? 0 : SynkLive.FLAG_REST), inFlight);
    $("finish").addEventListener("click", () => { $("finish").disabled = true; live.send({type: "finish"}); });
  })();
})();
