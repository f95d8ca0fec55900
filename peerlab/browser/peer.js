// peerlab.browser: the page's own RTCPeerConnection, driven from Python cells.
//
// initialize() runs once per widget model, as soon as the kernel creates the widget (displayed or
// not): it makes the page's RTCPeerConnection and links up with the kernel by every way the widget's
// `links` allow, all at once (peerlab/browser/links.py says more):
//   comm    the widget's own comm, through Jupyter (model.send, and msg:custom back);
//   proxy   a WebSocket through the Jupyter server, {baseUrl}proxy/{port}/ on this page's origin
//           (wss: under https), which jupyter-server-proxy carries to the kernel's 127.0.0.1;
//   direct  a WebSocket to ws://127.0.0.1:{port}/, tried only by a page served from 127.0.0.1 or
//           localhost, where the browser's 127.0.0.1 is the kernel's.
// Each sends a hello (the peer's id and key); the first the kernel answers with "linked" carries
// every call, reply, event and state from then on, and the others are closed. A way that fails
// says why (an HTTP status, a close code, no answer in time): the widget shows it, and the page
// tells the kernel over the comm, so that a cell that waits for a page can say what went wrong.
// render() draws the four states, live, from the page's connection itself, and a <video> for each
// video track the connection receives (its track event): what the far side sends, playing here.

const PEERS = (globalThis.__peerlab_browser_peers ??= new Map());
const STATES = ["signalingState", "iceGatheringState", "iceConnectionState", "connectionState"];
const COMM_WAIT_MS = 3000;  // a kernel that hands comm messages over while a cell runs answers in milliseconds
const SOCKET_WAIT_MS = 4000;
const WORDS = {
  comm: "the widget's comm, through Jupyter",
  proxy: "a WebSocket through the Jupyter server",
  direct: "a WebSocket straight to the kernel's 127.0.0.1",
};
const CLOSE_CODES = {
  4003: "the kernel refused the key (the widget is from an older run of the cell?)",
  4004: "the kernel has no such browser peer (it was restarted?)",
  4009: "another page (or this one before a reload) holds this browser peer: run the cell that makes it again",
  1006: "closed before it opened",
};

function states(pc) {
  return Object.fromEntries(STATES.map((s) => [s, pc[s]]));
}

function errorOf(error) {
  return {
    name: (error && error.name) || "Error",
    message: String((error && error.message) || error),
    errorDetail: (error && error.errorDetail) || null,
  };
}

function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
}

function toBase64(buffer) {
  let text = "";
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function bridgeUrls(model) {
  // The proxy's address on this page's own origin: Jupyter's base URL (a hub's /user/<name>/) + proxy/<port>/.
  const config = document.getElementById("jupyter-config-data");
  if (!config) return null;
  let base = "/";
  try { base = JSON.parse(config.textContent).baseUrl || "/"; } catch (error) { return null; }
  const http = new URL(base.replace(/\/?$/, "/") + "proxy/" + model.get("bridge_port") + "/", location.href);
  const ws = new URL(http.href);
  ws.protocol = http.protocol === "https:" ? "wss:" : "ws:";
  return { ws: ws.href, http: http.href };
}

function onLoopback() {
  const host = location.hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]" || host.endsWith(".localhost");
}

async function whyNotProxy(http, event) {
  // The WebSocket says only 1006; the same URL over plain HTTP says more.
  try {
    const reply = await fetch(http, { credentials: "same-origin", cache: "no-store" });
    if (reply.status === 404) return "HTTP 404 at " + http + ": the Jupyter server has no proxy (jupyter-server-proxy is not installed where it runs)";
    if (reply.status === 426) return "the proxy reached the kernel (HTTP 426) but the WebSocket closed (" + event.code + ")";
    return "HTTP " + reply.status + " " + reply.statusText + " at " + http;
  } catch (error) {
    return "closed (" + event.code + "), and " + http + " did not answer: " + error;
  }
}

function linkUp(model, entry, peerId, outbox, handle) {
  const allowed = model.get("links") || [];
  const page = Math.random().toString(36).slice(2);  // this page's own id: the kernel tells its own ways from another page's
  const hello = (channel) => JSON.stringify({ type: "hello", peer: peerId, key: model.get("key"), channel, page,
                                              states: states(entry.pc), userAgent: navigator.userAgent });
  const tell = (message) => { try { model.send({ peerlab: JSON.stringify(message) }); } catch (error) { /* no comm */ } };
  const report = () => {
    const final = allowed.every((channel) => channel in entry.failures);
    tell({ type: "report", failures: entry.failures, final });
    entry.redraw();
  };
  const failed = (channel, why) => {
    entry.attempts.delete(channel);
    if (entry.link) return;
    entry.failures[channel] = why;
    report();
  };
  const linked = (attempt) => {
    if (entry.link || entry.lost) { attempt.close(); return; }
    entry.link = attempt;
    entry.failures = {};
    for (const other of entry.attempts.values()) if (other !== attempt) other.close();
    entry.attempts.clear();
    outbox.splice(0).forEach((text) => attempt.send(text));
    entry.redraw();
  };
  for (const channel of ["comm", "proxy", "direct"]) {
    if (!allowed.includes(channel)) entry.failures[channel] = "not allowed here (PEERLAB_BROWSER_LINKS)";
  }
  const fromKernel = (attempt, message) => {
    if (message.type === "linked") linked(attempt);
    else if (message.type === "refused") failed(attempt.channel, message.reason || "refused by the kernel");
    else if (entry.link === attempt) handle(message);
  };

  if (allowed.includes("comm")) {
    const attempt = { channel: "comm", send: (text) => model.send({ peerlab: text }), close: () => {} };
    entry.attempts.set("comm", attempt);
    const timer = setTimeout(() => {
      if (entry.link !== attempt) failed("comm", "no answer within " + COMM_WAIT_MS / 1000 + " s (a kernel older than ipykernel 7.4 reads a widget's messages only after the running cell)");
    }, COMM_WAIT_MS);
    model.on("msg:custom", (content) => {
      if (!content || typeof content.peerlab !== "string") return;
      const message = JSON.parse(content.peerlab);
      if (message.type === "linked") clearTimeout(timer);
      fromKernel(attempt, message);
    });
    attempt.send(hello("comm"));
  }

  const socket = (channel, url, whyNot) => {
    let ws;
    try { ws = new WebSocket(url); } catch (error) { failed(channel, url + ": " + error); return; }
    let opened = false;
    const attempt = { channel, send: (text) => ws.send(text), close: () => ws.close(1000, "another link holds this peer") };
    entry.attempts.set(channel, attempt);
    const timer = setTimeout(() => { if (!opened) ws.close(); }, SOCKET_WAIT_MS);
    ws.addEventListener("open", () => { opened = true; clearTimeout(timer); ws.send(hello(channel)); });
    ws.addEventListener("message", (event) => fromKernel(attempt, JSON.parse(event.data)));
    ws.addEventListener("close", async (event) => {
      clearTimeout(timer);
      if (entry.link === attempt) {
        entry.link = null;
        entry.lost = "its link (" + WORDS[channel] + ") closed (" + (event.reason || event.code) + ")";
        entry.redraw();
        return;
      }
      if (entry.link || !entry.attempts.has(channel)) return;
      if (opened) failed(channel, "closed by the kernel: " + (event.reason || CLOSE_CODES[event.code] || event.code));
      else failed(channel, await whyNot(event));
    });
  };

  if (allowed.includes("proxy")) {
    const urls = bridgeUrls(model);
    if (!urls) failed("proxy", "not tried: this page is not JupyterLab's (no jupyter-config-data)");
    else socket("proxy", urls.ws, (event) => whyNotProxy(urls.http, event));
  }
  if (allowed.includes("direct")) {
    if (!onLoopback()) {
      failed("direct", "not tried: this page comes from " + location.host + ", so the browser's 127.0.0.1 is not the kernel's");
    } else {
      const url = "ws://127.0.0.1:" + model.get("bridge_port") + "/";
      socket("direct", url, (event) => url + ": refused or unreachable (" + event.code + ")");
    }
  }
}

function linkText(entry) {
  if (entry.link) return "linked to the kernel by " + WORDS[entry.link.channel];
  if (entry.lost) return entry.lost;
  const failures = Object.entries(entry.failures);
  if (failures.length && !entry.attempts.size) {
    return "could not link to the kernel: " + failures.map(([channel, why]) => channel + ": " + why).join("; ");
  }
  return "linking to the kernel…";
}

function start(model) {
  const peerId = model.get("peer_id");
  if (PEERS.has(peerId)) return PEERS.get(peerId);
  const pc = new RTCPeerConnection(model.get("configuration"));
  const entry = { pc, link: null, attempts: new Map(), failures: {}, lost: null, channels: new Map(),
                  views: new Set(), nextChannel: 1, camera: [], cameraSenders: {}, received: [],
                  videoViews: new Set(), videos: new Set(), videoReported: false };
  PEERS.set(peerId, entry);
  const outbox = [];
  const post = (message) => {
    const text = JSON.stringify(message);
    if (entry.link) entry.link.send(text);
    else outbox.push(text);
  };
  const redraw = () => entry.views.forEach((draw) => draw());
  entry.redraw = redraw;
  entry.post = post;

  const watchChannel = (channel, id) => {
    entry.channels.set(id, channel);
    channel.binaryType = "arraybuffer";
    for (const type of ["open", "closing", "close"]) {
      channel.addEventListener(type, () => post({ type: "channel", channel: id, event: type, readyState: channel.readyState }));
    }
    channel.addEventListener("message", (event) => {
      const binary = typeof event.data !== "string";
      post({ type: "channel", channel: id, event: "message", binary, data: binary ? toBase64(event.data) : event.data });
    });
  };

  for (const state of STATES) {
    pc.addEventListener(state.toLowerCase() + "change", () => {
      post({ type: "state", name: state, value: pc[state] });
      redraw();
    });
  }
  pc.addEventListener("icecandidate", (event) => {
    post({ type: "icecandidate", candidate: event.candidate ? event.candidate.toJSON() : null });
  });
  pc.addEventListener("track", (event) => {
    const stream = new MediaStream([event.track]);
    entry.received.push({ kind: event.track.kind, stream });
    post({ type: "track", kind: event.track.kind, id: event.track.id });
    entry.videoViews.forEach((show) => show(event.track.kind, stream));
  });
  pc.addEventListener("datachannel", (event) => {
    const id = "far-" + entry.nextChannel++;
    post({ type: "datachannel", channel: id, label: event.channel.label, readyState: event.channel.readyState });
    watchChannel(event.channel, id);
  });

  const calls = {
    ping: () => null,
    createOffer: () => pc.createOffer(),
    createAnswer: () => pc.createAnswer(),
    setLocalDescription: (description) => (description ? pc.setLocalDescription(description) : pc.setLocalDescription()),
    setRemoteDescription: (description) => pc.setRemoteDescription(description),
    addIceCandidate: (candidate) => (candidate ? pc.addIceCandidate(candidate) : pc.addIceCandidate()),
    createDataChannel: (id, label, options) => {
      watchChannel(pc.createDataChannel(label, options || {}), id);
      return null;
    },
    send: (id, data, binary) => {
      entry.channels.get(id).send(binary ? fromBase64(data) : data);
      return null;
    },
    addCamera: async (constraints, timeoutMs) => {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        throw { name: "NotSupportedError", message: "navigator.mediaDevices is missing: a camera needs a secure page (https, or http://localhost)" };
      }
      let timer, late = false;
      const asking = navigator.mediaDevices.getUserMedia(constraints);
      asking.then((stream) => { if (late) stream.getTracks().forEach((t) => t.stop()); }, () => {});
      const stream = await Promise.race([asking, new Promise((_, reject) => {
        timer = setTimeout(() => {
          late = true;
          reject({ name: "TimeoutError", message: `getUserMedia() did not settle within ${timeoutMs / 1000} s` });
        }, timeoutMs);
      })]).finally(() => clearTimeout(timer));
      const added = [];
      for (const track of stream.getTracks()) {
        entry.camera.push(track);
        // A second addCamera() (a re-run cell) takes the first one's place on its sender: one camera, one m=video.
        const sender = entry.cameraSenders[track.kind];
        const replaced = !!sender && pc.getSenders().includes(sender);
        if (replaced) {
          const old = sender.track;
          await sender.replaceTrack(track);
          if (old) old.stop();
        } else {
          entry.cameraSenders[track.kind] = pc.addTrack(track, stream);
        }
        const settings = track.getSettings();
        added.push({ kind: track.kind, label: track.label, id: track.id, width: settings.width || null,
                     height: settings.height || null, replaced });
      }
      return added;
    },
    videosInPage: () => Array.from(entry.videos).filter((video) => video.isConnected).map((video) => {
      const track = video.srcObject && video.srcObject.getVideoTracks()[0];
      const trackState = track ? track.readyState : "none";
      return { width: video.videoWidth, height: video.videoHeight, paused: video.paused, readyState: video.readyState,
               trackState, playing: !video.paused && video.videoWidth > 0 && video.readyState >= 2 && trackState === "live" };
    }),
    closeChannel: (id) => {
      entry.channels.get(id).close();
      return null;
    },
    close: () => {
      pc.close();
      entry.camera.forEach((track) => track.stop());
      redraw();
      return null;
    },
  };

  const handle = async (message) => {
    if (message.type !== "call") return;
    try {
      const value = await calls[message.method](...(message.args || []));
      const plain = value && typeof value.toJSON === "function" ? value.toJSON() : value;
      post({ type: "result", id: message.id, value: plain === undefined ? null : plain });
    } catch (error) {
      post({ type: "error", id: message.id, error: errorOf(error) });
    }
    redraw();
  };

  linkUp(model, entry, peerId, outbox, handle);
  return entry;
}

function initialize({ model }) {
  const peerId = model.get("peer_id");
  start(model);
  return () => {
    const entry = PEERS.get(peerId);
    if (!entry) return;
    PEERS.delete(peerId);
    try { entry.pc.close(); } catch (e) { /* already closed */ }
    entry.camera.forEach((track) => track.stop());
    for (const attempt of entry.attempts.values()) attempt.close();
    if (entry.link) entry.link.close();
  };
}

function render({ model, el }) {
  const entry = start(model);
  const name = esc(model.get("name"));
  const box = document.createElement("div");
  box.className = "peerlab-browser-peer";
  box.dataset.peer = name;
  el.appendChild(box);
  const statesBox = document.createElement("div");
  const videos = document.createElement("div");
  videos.style.cssText = "display:flex;gap:8px;flex-wrap:wrap;margin-top:4px";
  box.append(statesBox, videos);
  const show = (kind, stream) => {
    if (kind !== "video") return;
    const video = document.createElement("video");
    video.className = "peerlab-browser-video";
    video.dataset.peer = model.get("name");
    video.title = "a video track this connection received";
    video.autoplay = video.muted = video.playsInline = true;
    video.style.cssText = "background:black;max-width:100%";
    video.addEventListener("resize", () => {
      if (entry.videoReported || !video.videoWidth) return;
      entry.videoReported = true;
      entry.post({ type: "video", width: video.videoWidth, height: video.videoHeight });
    });
    video.srcObject = stream;
    videos.appendChild(video);
    entry.videos.add(video);
    video.play().catch(() => { /* autoplay (muted) starts it anyway */ });
  };
  entry.received.forEach(({ kind, stream }) => show(kind, stream));
  entry.videoViews.add(show);
  const draw = () => {
    const pc = entry.pc;
    const rows = STATES.map((s) =>
      `<tr><th style="padding:1px 8px;text-align:left;font-weight:normal">${s}</th>` +
      `<td><span class="peerlab-browser-state" data-peer="${name}" data-machine="${s}" data-state="${esc(pc[s])}" ` +
      `style="display:inline-block;padding:1px 6px;border-radius:3px;background:#1565c0;color:white;font-weight:bold">${esc(pc[s])}</span></td></tr>`
    ).join("");
    const link = linkText(entry);
    box.dataset.link = entry.link ? entry.link.channel : "";
    statesBox.innerHTML =
      `<div style="font-family:var(--jp-code-font-family, monospace);font-size:12px">` +
      `<b>${name}</b>: this page's own RTCPeerConnection (${esc(link)})` +
      `<table style="border-collapse:collapse">${rows}</table></div>`;
  };
  entry.views.add(draw);
  draw();
  const timer = setInterval(draw, 1000);  // the link's state has no event of its own
  return () => {
    clearInterval(timer);
    entry.views.delete(draw);
    entry.videoViews.delete(show);
    videos.querySelectorAll("video").forEach((video) => entry.videos.delete(video));
  };
}

export default { initialize, render };
