/* Camera and live WebSocket shared by the recording and exercise pages (no dependencies). */
"use strict";
(function () {
  const FLAG_REST = 1;

  function cameraMessage(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return "Camera permission was denied. Click the camera icon in the address bar (or open " +
        "the browser's site settings), allow the camera for this site, then reload the page.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return "No camera was found. Connect a camera (or enable the built-in one), close other " +
        "apps that may hold it, then reload the page.";
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
      return "The camera could not be started: another application may be using it. Close it, " +
        "then reload the page.";
    }
    return "The camera could not be started (" + (name || error) + "). Check that a camera is " +
      "connected and allowed for this site, then reload the page.";
  }

  async function startCamera(video, statusEl) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      statusEl.textContent = "This page cannot use a camera here: browsers allow cameras only on " +
        "https:// or on this computer (http://127.0.0.1). Open the app that way.";
      statusEl.classList.add("error");
      return null;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia(
        {video: {width: {ideal: 640}, height: {ideal: 480}, frameRate: {ideal: 30}}, audio: false});
      video.srcObject = stream;
      await video.play().catch(() => {});
      statusEl.textContent = "Camera on.";
      statusEl.classList.remove("error");
      return stream;
    } catch (error) {
      statusEl.textContent = cameraMessage(error);
      statusEl.classList.add("error");
      return null;
    }
  }

  /* Frames go out as an 8-byte header (uint32 id, uint8 flags) + JPEG; at most `maxInFlight`
     unanswered frames, the rest are skipped here (and the server keeps only the newest). */
  function connect(params, handlers) {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
      "/ws/live?" + new URLSearchParams(params).toString();
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const canvas = document.createElement("canvas");
    canvas.width = 640; canvas.height = 480;
    const context = canvas.getContext("2d");
    const stats = {sent: 0, received: 0, skipped: 0, serverDropped: 0, latencies: [],
                   captureLatencies: [], serverMs: [], errors: [], maxTarget: null};
    const pending = new Map();
    let nextId = 1;
    let timer = null;
    window.synkStats = stats;

    ws.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "frame") {
        const sent = pending.get(message.id);
        if (sent) {
          const now = performance.now();
          stats.latencies.push(now - sent.sentAt);
          stats.captureLatencies.push(now - sent.capturedAt);
          stats.serverMs.push(message.server_ms);
        }
        for (const id of pending.keys()) { if (id <= message.id) pending.delete(id); }
        stats.received += 1;
        stats.serverDropped = message.dropped;
        if (message.feedback && message.feedback.target_mm !== null) {
          stats.maxTarget = Math.max(stats.maxTarget === null ? -Infinity : stats.maxTarget,
                                     message.feedback.target_mm);
        }
      } else if (message.type === "error") {
        stats.errors.push(message.message);
      }
      if (handlers.onMessage) handlers.onMessage(message);
    };
    ws.onclose = (event) => { stop(); if (handlers.onClose) handlers.onClose(event); };

    async function sendFrame(video, flags, maxInFlight) {
      if (ws.readyState !== WebSocket.OPEN || !video.videoWidth) return;
      // Frames lost to the network or server never reply: forget them after 2 s.
      const now = performance.now();
      for (const [id, p] of pending) { if (now - p.sentAt > 2000) pending.delete(id); }
      if (pending.size >= maxInFlight) { stats.skipped += 1; return; }
      const id = nextId++;
      const capturedAt = performance.now();
      pending.set(id, {capturedAt: capturedAt, sentAt: capturedAt});
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
      const jpeg = new Uint8Array(await blob.arrayBuffer());
      const data = new Uint8Array(8 + jpeg.length);
      new DataView(data.buffer).setUint32(0, id, true);
      data[4] = flags;
      data.set(jpeg, 8);
      if (ws.readyState !== WebSocket.OPEN) return;
      pending.get(id).sentAt = performance.now();
      ws.send(data);
      stats.sent += 1;
    }

    function start(video, fps, flagsFn, maxInFlight) {
      stop();
      timer = setInterval(() => sendFrame(video, flagsFn(), maxInFlight || 2), 1000 / fps);
    }
    function stop() { if (timer) { clearInterval(timer); timer = null; } }
    function send(message) { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message)); }
    return {ws: ws, start: start, stop: stop, send: send, stats: stats};
  }

  function faceProblem(message) {
    if (!message || message.n_faces === 0) return "No face visible: move into the outline, face the light.";
    if (message.n_faces > 1) return "Several faces are visible: only the patient should be in view.";
    if (!message.frontal) return "Please face the camera straight on (head turned or tilted).";
    return "";
  }

  window.SynkLive = {startCamera: startCamera, connect: connect, faceProblem: faceProblem,
                     FLAG_REST: FLAG_REST};
})();
