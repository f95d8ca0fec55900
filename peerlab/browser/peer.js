// peerlab.browser: the page's own RTCPeerConnection, driven from Python cells.
//
// initialize() runs once per widget model, as soon as the kernel creates the widget (displayed or
// not): it makes the page's RTCPeerConnection and opens a WebSocket to the kernel's bridge
// (bridge_url, with its token). Calls come from Python over that socket; every reply, event and
// state change goes back over it, straight into the kernel's event loop (a reply over the widget
// comm would wait until the running cell ends: see peerlab/browser/__init__.py).
// render() draws the four states, live, from the page's connection itself, and a <video> for each
// video track the connection receives (its track event): what the far side sends, playing here.

const PEERS = (globalThis.__peerlab_browser_peers ??= new Map());
const STATES = ["signalingState", "iceGatheringState", "iceConnectionState", "connectionState"];

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

function start(model) {
  const peerId = model.get("peer_id");
  if (PEERS.has(peerId)) return PEERS.get(peerId);
  const pc = new RTCPeerConnection(model.get("configuration"));
  const entry = { pc, ws: null, channels: new Map(), views: new Set(), nextChannel: 1, error: null,
                  camera: [], received: [], videoViews: new Set(), videoReported: false };
  PEERS.set(peerId, entry);
  const outbox = [];
  const post = (message) => {
    const text = JSON.stringify(message);
    if (entry.ws && entry.ws.readyState === WebSocket.OPEN) entry.ws.send(text);
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
      return stream.getTracks().map((track) => {
        entry.camera.push(track);
        pc.addTrack(track, stream);
        const settings = track.getSettings();
        return { kind: track.kind, label: track.label, id: track.id, width: settings.width || null, height: settings.height || null };
      });
    },
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

  const url = model.get("bridge_url");
  if (url) {
    try {
      const ws = new WebSocket(url);
      entry.ws = ws;
      ws.addEventListener("open", () => {
        ws.send(JSON.stringify({ type: "hello", peer: peerId, states: states(pc), userAgent: navigator.userAgent }));
        outbox.splice(0).forEach((text) => ws.send(text));
      });
      ws.addEventListener("message", (event) => handle(JSON.parse(event.data)));
      ws.addEventListener("close", (event) => {
        entry.error = "the kernel's bridge closed (" + (event.reason || event.code) + ")";
        redraw();
      });
    } catch (error) {
      entry.error = String(error);
    }
  } else {
    entry.error = "no bridge URL";
  }
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
    if (entry.ws) entry.ws.close(1000, "widget closed");
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
    const link = entry.ws && entry.ws.readyState === WebSocket.OPEN ? "linked to the kernel" : (entry.error || "linking to the kernel…");
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
  };
}

export default { initialize, render };
