/* Poll a background analysis and show its progress. */
"use strict";
(function () {
  const root = document.getElementById("job");
  if (!root) return;
  async function poll() {
    let job;
    try {
      const response = await fetch(root.dataset.status, {headers: {Accept: "application/json"}});
      job = await response.json();
    } catch (e) { setTimeout(poll, 1000); return; }
    document.getElementById("job-progress").value = job.progress;
    document.getElementById("job-stage").textContent = job.stage;
    document.getElementById("job-percent").textContent = Math.round(100 * job.progress) + " %";
    document.getElementById("job-message").textContent = job.message;
    if (job.done) {
      const link = document.getElementById("job-visit");
      link.href = "/visits/" + job.visit_id;
      document.getElementById("job-result").hidden = false;
    } else if (job.failed) {
      document.getElementById("job-message").classList.add("error");
    } else {
      setTimeout(poll, 500);
    }
  }
  poll();
})();
