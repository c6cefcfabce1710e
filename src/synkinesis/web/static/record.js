/* Guided recording: prompts per task, countdown, face check, upload with the task spans. */
"use strict";
(function () {
  const root = document.getElementById("recorder");
  if (!root) return;
  const video = document.getElementById("camera");
  const cameraStatus = document.getElementById("camera-status");
  const faceStatus = document.getElementById("face-status");
  const prompt = document.getElementById("prompt");
  const countdown = document.getElementById("countdown");
  const startButton = document.getElementById("start");
  const uploadProgress = document.getElementById("upload-progress");
  const steps = Array.from(document.querySelectorAll("#steps li"));
  const timing = {countdown: parseFloat(root.dataset.countdown), hold: parseFloat(root.dataset.hold),
                  relax: parseFloat(root.dataset.relax)};
  let lastFace = {problem: "Waiting for the face check…", at: 0};

  const sleep = (s) => new Promise((resolve) => setTimeout(resolve, s * 1000));
  const faceOk = () => !lastFace.problem && performance.now() - lastFace.at < 1500;

  async function waitForFace() {
    while (!faceOk()) {
      prompt.textContent = "Paused: " + (lastFace.problem || "checking the face…");
      prompt.classList.add("paused");
      await sleep(0.2);
    }
    prompt.classList.remove("paused");
  }

  async function runStep(step, t0) {
    while (true) {
      await waitForFace();
      const label = step.textContent;
      step.classList.add("current");
      for (let n = Math.ceil(timing.countdown); n > 0; n--) {
        prompt.textContent = "Next: " + label;
        countdown.textContent = String(n);
        await sleep(Math.min(1, timing.countdown / Math.ceil(timing.countdown)));
      }
      countdown.textContent = "";
      prompt.textContent = label + " … hold";
      const start = (performance.now() - t0) / 1000;
      let lost = false;
      const end = performance.now() + timing.hold * 1000;
      while (performance.now() < end) {
        if (!faceOk()) { lost = true; break; }
        await sleep(0.1);
      }
      const stop = (performance.now() - t0) / 1000;
      if (lost) { prompt.textContent = "The face was lost: this task will be repeated."; await sleep(0.5); continue; }
      prompt.textContent = "… and relax.";
      await sleep(timing.relax);
      step.classList.remove("current");
      step.classList.add("done");
      return {task: step.dataset.task, start_s: start, end_s: stop};
    }
  }

  function upload(blob, spans) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append("video", blob, "recording.webm");
      form.append("spans", JSON.stringify(spans));
      form.append("csrf_token", root.dataset.csrf);
      const request = new XMLHttpRequest();
      request.open("POST", "/patients/" + encodeURIComponent(root.dataset.code) + "/recordings");
      request.setRequestHeader("Accept", "application/json");
      uploadProgress.hidden = false;
      request.upload.onprogress = (e) => { if (e.lengthComputable) uploadProgress.value = e.loaded / e.total; };
      request.onload = () => {
        let body = {};
        try { body = JSON.parse(request.responseText); } catch (e) { /* not JSON */ }
        if (request.status === 200) resolve(body); else reject(new Error(body.detail || request.statusText));
      };
      request.onerror = () => reject(new Error("the upload failed (network)"));
      request.send(form);
    });
  }

  async function record(stream) {
    startButton.disabled = true;
    const type = ["video/webm;codecs=vp8", "video/webm", "video/mp4"].find(
      (t) => window.MediaRecorder && MediaRecorder.isTypeSupported(t));
    if (!type) { prompt.textContent = "This browser cannot record video (MediaRecorder)."; return; }
    const recorder = new MediaRecorder(stream, {mimeType: type, videoBitsPerSecond: 2500000});
    const chunks = [];
    recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
    const started = new Promise((resolve) => { recorder.onstart = resolve; });
    const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
    recorder.start(500);
    await started;
    const t0 = performance.now();
    const spans = [];
    for (const step of steps) spans.push(await runStep(step, t0));
    // The first video frame comes a little after the recorder's start event and the last
    // ones are still being encoded: keep recording briefly so the last span lies inside.
    prompt.textContent = "Done. Stay still a moment…";
    await sleep(1);
    recorder.stop();
    await stopped;
    prompt.textContent = "Uploading the recording…";
    try {
      const result = await upload(new Blob(chunks, {type: type.split(";")[0]}), spans);
      prompt.textContent = "Uploaded. Analysing…";
      location.assign(result.progress_url);
    } catch (error) {
      prompt.textContent = "Upload refused: " + error.message;
      prompt.classList.add("error");
      startButton.disabled = false;
    }
  }

  (async function main() {
    const stream = await SynkLive.startCamera(video, cameraStatus);
    if (!stream) { prompt.textContent = "Recording needs the camera: see the message in red."; return; }
    const live = SynkLive.connect({patient: root.dataset.code}, {
      onMessage: (m) => {
        if (m.type === "ready") { startButton.disabled = false; }
        else if (m.type === "frame") {
          lastFace = {problem: SynkLive.faceProblem(m), at: performance.now()};
          faceStatus.textContent = lastFace.problem || "Face OK: one face, frontal.";
          faceStatus.classList.toggle("error", !!lastFace.problem);
        } else if (m.type === "error") { faceStatus.textContent = m.message; }
      },
      onClose: () => { faceStatus.textContent = "The face check stopped (connection closed). Reload the page."; },
    });
    live.start(video, 10, () => 0, 1);
    startButton.addEventListener("click", () => record(stream));
  })();
})();
