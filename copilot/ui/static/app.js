// The page: uploads (or microphone recordings) go to /api/audio, a question to /api/ask, and the
// page polls /api/jobs/<id> for progress until the answer comes. No library, nothing from the internet.
"use strict";

const uploads = [null, null];  // per slot: {id, name, duration_s, envelope, spectrogram}
let overlays = [[], []];
const LANE_COLOURS = {speech: "#2f8f5b", events: "#c46a12", words: "#5b4bc4"};
const SPEAKER_COLOURS = ["#2f6fdb", "#d1495b", "#2a9d8f", "#e9a03b", "#8e5bd6", "#6c757d", "#b5651d", "#0f766e"];
const TIMING_PARTS = [["llm_prefill_s", "LLM prefill", "#2f6fdb"], ["llm_decode_s", "LLM decode", "#8fb3f0"],
                      ["tools_s", "tools", "#2f8f5b"], ["sandbox_s", "sandbox", "#e9a03b"]];

const $ = (id) => document.getElementById(id);

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch (e) {
    return {error: `the server answered ${response.status} ${response.statusText}`};
  }
}

async function upload(slot, file) {
  showError("");
  uploads[slot] = null;
  overlays = [[], []];
  $(`status${slot}`).textContent = `uploading ${file.name}…`;
  updateAsk();
  drawPictures();
  let data;
  try {
    const response = await fetch(`/api/audio?name=${encodeURIComponent(file.name)}`, {method: "POST", body: file});
    data = await readJson(response);
    if (!response.ok) throw new Error(data.error || `upload failed (${response.status})`);
  } catch (e) {
    $(`status${slot}`).textContent = "";
    showError(e.message);
    return;
  }
  uploads[slot] = data;
  $(`status${slot}`).textContent = `${data.name}: ${data.duration_s.toFixed(1)} s`;
  updateAsk();
  drawPictures();
}

function updateAsk() {
  $("ask-button").disabled = !uploads[0];
}

// -- microphone ----------------------------------------------------------------------------------
let recorder = null;
async function toggleRecord(button) {
  const slot = Number(button.dataset.slot);
  if (recorder) {
    recorder.stop();
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({audio: true});
  } catch (e) {
    showError(`cannot use the microphone: ${e.message}`);
    return;
  }
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (event) => chunks.push(event.data);
  recorder.onstop = () => {
    stream.getTracks().forEach((t) => t.stop());
    button.classList.remove("recording-now");
    button.textContent = "● Record";
    recorder = null;
    const type = chunks[0] ? chunks[0].type : "audio/webm";
    const suffix = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
    upload(slot, new File(chunks, `microphone.${suffix}`, {type}));
  };
  recorder.start();
  button.classList.add("recording-now");
  button.textContent = "■ Stop";
}

// -- asking --------------------------------------------------------------------------------------
async function ask() {
  showError("");
  $("result").hidden = true;
  const question = {
    instruction: $("instruction").value,
    audio: uploads.filter(Boolean).map((u) => u.id),
    text: $("text").value || null,
    options: $("options").value.split("\n").map((o) => o.trim()).filter(Boolean),
  };
  $("ask-button").disabled = true;
  let job = null;
  try {
    const response = await fetch("/api/ask", {method: "POST", headers: {"Content-Type": "application/json"},
                                               body: JSON.stringify(question)});
    const data = await readJson(response);
    if (!response.ok) throw new Error(data.error);
    job = current = data.job;
    $("cancel-button").hidden = false;
    await follow(job);
  } catch (e) {
    if (current === job) showError(e.message);
  } finally {
    if (current === job) doneAsking();
  }
}

let current = null;  // the job the page follows; Cancel clears it, which ends follow()
function doneAsking() {
  current = null;
  $("cancel-button").hidden = true;
  $("progress").textContent = "";
  updateAsk();
}

async function cancel() {
  const job = current;
  doneAsking();
  const response = await fetch(`/api/jobs/${job}/cancel`, {method: "POST"});
  const view = await readJson(response);
  showError(response.ok ? `cancelled: ${view.stage}` : view.error);
}

async function follow(job) {
  for (;;) {
    if (current !== job) return;
    const response = await fetch(`/api/jobs/${job}`);
    const view = await readJson(response);
    if (!response.ok) throw new Error(view.error);
    if (current !== job) return;
    if (view.state === "running") {  // the stage names the attempt: "planning", "repair 2", "running the program"
      $("progress").textContent = `${view.stage} … ${view.elapsed_s.toFixed(1)} s`;
      await new Promise((resolve) => setTimeout(resolve, 300));
      continue;
    }
    if (view.result) showResult(view.result, view.elapsed_s);
    if (view.error) showError(view.error);
    return;
  }
}

const SOURCES = {planned: "planned for this question", cache: "from the store: a program planned earlier for this task",
                 library: "from the library: a program planned for "};

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function showResult(result, elapsed) {
  const answer = $("answer");
  answer.textContent = result.ok ? result.answer : "no answer";
  answer.className = result.ok ? "" : "failed";
  $("caveats").replaceChildren(...(result.caveats || []).map((text) => {
    const item = document.createElement("li");
    item.textContent = `caveat: ${text}`;
    return item;
  }));
  $("source").textContent = `source: ${SOURCES[result.source] || result.source}` +
    (result.source === "library" ? `“${result.source_instruction}”` : "");
  $("program").textContent = result.program || "(no program)";
  const body = $("tool-calls").tBodies[0];
  body.replaceChildren();
  for (const call of result.tool_calls) {
    const row = body.insertRow();
    cell(row, call.name);
    cell(row, call.args, "json");
    if (call.error) cell(row, call.error, "tool-error");
    else cell(row, call.result, "json");
    cell(row, call.seconds.toFixed(3), "num");
  }
  showTimings(result.timings, result.tokens, elapsed);
  overlays = result.overlays || [[], []];
  $("result").hidden = false;
  drawPictures();
}

function showTimings(timings, tokens, elapsed) {
  const box = $("timings");
  box.replaceChildren();
  const total = timings.total_s || elapsed || 0;
  const bar = document.createElement("div");
  bar.className = "timing-bar";
  for (const [key, name, colour] of TIMING_PARTS) {
    const part = document.createElement("div");
    part.style.background = colour;
    part.style.width = `${total ? (100 * (timings[key] || 0)) / total : 0}%`;
    part.title = `${name}: ${(timings[key] || 0).toFixed(2)} s`;
    bar.appendChild(part);
  }
  box.appendChild(bar);
  const rows = [["total", total]].concat(TIMING_PARTS.map(([key, name]) => [name, timings[key] || 0]));
  rows.push(["model loads", timings.model_load_s || 0]);
  TIMING_PARTS.forEach(([, , colour], i) => (rows[i + 1].push(colour)));
  for (const [name, seconds, colour] of rows) {
    const key = document.createElement("span");
    key.className = "timing-key";
    key.innerHTML = colour ? `<i style="background:${colour}"></i>` : "";
    key.append(`${name} ${Number(seconds).toFixed(2)} s`);
    box.appendChild(key);
  }
  const tokenInfo = document.createElement("span");
  tokenInfo.className = "timing-key";
  tokenInfo.textContent = `LLM calls ${tokens.llm_calls ?? 0}, tokens ${tokens.prompt ?? 0} in / ${tokens.completion ?? 0} out`;
  box.appendChild(tokenInfo);
}

// -- the picture of the audio --------------------------------------------------------------------
function colour(v) {  // dark blue -> purple -> orange -> yellow, for 0..255
  const stops = [[13, 16, 32], [84, 39, 143], [190, 55, 90], [246, 140, 40], [252, 240, 120]];
  const x = (v / 255) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2);
  const f = x - i;
  return stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c)));
}
const PALETTE = Array.from({length: 256}, (_, v) => colour(v));

function drawCanvas(canvas, picture) {
  const width = (canvas.width = Math.max(1, Math.floor(canvas.clientWidth * devicePixelRatio)));
  const height = (canvas.height = Math.floor(canvas.clientHeight * devicePixelRatio));
  const ctx = canvas.getContext("2d");
  const wave = Math.floor(height * 0.3);
  const spec = picture.spectrogram;
  const bytes = Uint8Array.from(atob(spec.data), (c) => c.charCodeAt(0));
  const image = ctx.createImageData(spec.frames, spec.bands);
  for (let band = 0; band < spec.bands; band++) {
    for (let frame = 0; frame < spec.frames; frame++) {
      const [r, g, b] = PALETTE[bytes[band * spec.frames + frame]];
      const at = ((spec.bands - 1 - band) * spec.frames + frame) * 4;
      image.data.set([r, g, b, 255], at);
    }
  }
  const scratch = document.createElement("canvas");
  scratch.width = spec.frames;
  scratch.height = spec.bands;
  scratch.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(scratch, 0, wave, width, height - wave);
  ctx.fillStyle = "#0d1020";
  ctx.fillRect(0, 0, width, wave);
  ctx.fillStyle = "#9ec5ff";
  const {min, max} = picture.envelope;
  const step = width / min.length;
  const peak = Math.max(...max.map(Math.abs), ...min.map(Math.abs), 1e-6);  // quiet recordings fill the strip too
  const scale = (0.9 * wave) / (2 * peak);
  for (let i = 0; i < min.length; i++) {
    const top = wave / 2 - max[i] * scale;
    const bottom = wave / 2 - min[i] * scale;
    ctx.fillRect(i * step, top, Math.max(step, 1), Math.max(bottom - top, 1));
  }
}

function drawPictures() {
  const box = $("pictures");
  box.replaceChildren();
  uploads.forEach((picture, slot) => {
    if (!picture) return;
    const div = document.createElement("div");
    div.className = "picture";
    const title = document.createElement("h3");
    title.textContent = `${picture.name} (${picture.duration_s.toFixed(1)} s)`;
    const canvas = document.createElement("canvas");
    canvas.className = "pic";
    div.append(title, canvas);
    const lanes = document.createElement("div");
    lanes.className = "lanes";
    const spans = overlays[slot] || [];
    const speakers = [...new Set(spans.filter((s) => s.lane === "speakers").map((s) => s.label))];
    for (const lane of ["speech", "speakers", "events", "words"]) {
      const here = spans.filter((s) => s.lane === lane);
      if (!here.length) continue;
      const row = document.createElement("div");
      row.className = `lane lane-${lane}`;
      const name = document.createElement("span");
      name.className = "lane-name";
      name.textContent = lane;
      row.appendChild(name);
      for (const span of here) {
        const seg = document.createElement("div");
        seg.className = "seg";
        seg.style.left = `${(100 * span.start_s) / picture.duration_s}%`;
        seg.style.width = `${Math.max((100 * (span.end_s - span.start_s)) / picture.duration_s, 0.3)}%`;
        seg.style.background = lane === "speakers" ? SPEAKER_COLOURS[speakers.indexOf(span.label) % 8] : LANE_COLOURS[lane];
        seg.textContent = lane === "speech" ? "" : span.label;
        seg.title = `${span.label} ${span.start_s.toFixed(2)}–${span.end_s.toFixed(2)} s (${span.tool})`;
        row.appendChild(seg);
      }
      lanes.appendChild(row);
    }
    const axis = document.createElement("div");
    axis.className = "axis";
    for (let k = 0; k <= 4; k++) {
      const tick = document.createElement("span");
      tick.textContent = `${((picture.duration_s * k) / 4).toFixed(1)} s`;
      axis.appendChild(tick);
    }
    div.append(lanes, axis);
    box.appendChild(div);
    drawCanvas(canvas, picture);
  });
}

// -- wiring --------------------------------------------------------------------------------------
[0, 1].forEach((slot) => {
  $(`file${slot}`).addEventListener("change", (event) => {
    if (event.target.files[0]) upload(slot, event.target.files[0]);
  });
});
document.querySelectorAll("button.record").forEach((b) => b.addEventListener("click", () => toggleRecord(b)));
document.querySelector("button.clear").addEventListener("click", () => {
  uploads[1] = null;
  $("file1").value = "";
  $("status1").textContent = "";
  drawPictures();
});
$("ask-button").addEventListener("click", ask);
$("cancel-button").addEventListener("click", cancel);
$("instruction").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !$("ask-button").disabled) ask();
});
window.addEventListener("resize", drawPictures);
