/* Toxin form: click a muscle on the face diagram to add an injection row. */
"use strict";
(function () {
  const body = document.querySelector("#injections tbody");
  const template = document.getElementById("injection-row");
  if (!body || !template) return;
  const date = document.querySelector("input[name=session_date]");
  if (date && !date.value) date.value = new Date().toISOString().slice(0, 10);
  function addRow(muscle, side) {
    const row = template.content.firstElementChild.cloneNode(true);
    if (muscle) row.querySelector("select[name=muscle]").value = muscle;
    if (side) row.querySelector("select[name=side]").value = side;
    row.querySelector(".remove").addEventListener("click", () => row.remove());
    body.appendChild(row);
    return row;
  }
  document.getElementById("add-injection").addEventListener("click", () => addRow());
  document.querySelectorAll("#face-diagram .muscle").forEach((dot) => {
    const pick = () => { addRow(dot.dataset.muscle, dot.dataset.side); dot.classList.add("picked"); };
    dot.addEventListener("click", pick);
    const name = () => { document.getElementById("muscle-name").textContent = dot.querySelector("title").textContent; };
    dot.addEventListener("mouseenter", name);
    dot.addEventListener("focus", name);
    dot.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
  });
})();
