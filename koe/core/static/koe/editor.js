/* Koe's post editor: Markdown toolbar, live preview, image upload, autosave and a copy kept
   on this device. Plain script loaded with defer on the editor page only; without it the
   form still works as an ordinary form. */
(() => {
  "use strict";

  const form = document.getElementById("editor-form");
  const body = form && form.querySelector("[data-editor-body]");
  if (!body) return;
  const titleInput = form.elements.namedItem("title");
  const csrf = form.elements.namedItem("csrfmiddlewaretoken").value;

  // ---------- Words, in the page's language ----------
  const STRINGS = {
    en: {
      heading: "Heading", bold: "bold text", italic: "italic text", strike: "struck text",
      linkText: "link text", listItem: "item", quote: "quote", code: "code",
      previewEmpty: "Nothing to preview yet.", previewFailed: "The preview could not be loaded.",
      loggedOut: "You are no longer logged in. Log in again in another tab; your text is kept on this device.",
      saving: "Saving…", saved: "Saved at {time}", keptLocally: "Kept on this device",
      offline: "Offline: kept on this device. Trying again shortly…",
      saveFailed: "Could not save: {message}", tooManyRequests: "Too many requests; trying again shortly…",
      uploading: "Uploading…", uploaded: "Added", uploadFailed: "The upload failed.",
      uploadOffline: "The server could not be reached. Please try again.",
      tooBig: "This file is larger than {mb} MB.", notImage: "This is not an image.",
      dismiss: "Dismiss",
      restoreText: "This device has a newer copy of this post (from {time}).",
      restore: "Restore", discard: "Discard", restored: "Restored the copy from this device.",
    },
    ja: {
      heading: "見出し", bold: "太字", italic: "斜体", strike: "取り消し線",
      linkText: "リンクの文字", listItem: "項目", quote: "引用", code: "コード",
      previewEmpty: "プレビューする内容がまだありません。", previewFailed: "プレビューを読み込めませんでした。",
      loggedOut: "ログインが切れました。別のタブでログインし直してください。本文はこの端末に保存されています。",
      saving: "保存中…", saved: "{time} に保存しました", keptLocally: "この端末に保存しました",
      offline: "オフライン：この端末に保存しました。しばらくしてから再試行します…",
      saveFailed: "保存できませんでした：{message}", tooManyRequests: "アクセスが集中しています。しばらくしてから再試行します…",
      uploading: "アップロード中…", uploaded: "追加しました", uploadFailed: "アップロードに失敗しました。",
      uploadOffline: "サーバーに接続できませんでした。もう一度お試しください。",
      tooBig: "{mb} MBを超えるファイルはアップロードできません。", notImage: "画像ファイルではありません。",
      dismiss: "閉じる",
      restoreText: "この端末に、より新しい下書き（{time}）が残っています。",
      restore: "復元する", discard: "破棄する", restored: "この端末の下書きを復元しました。",
    },
  };
  const lang = (document.documentElement.lang || "en").toLowerCase().startsWith("ja") ? "ja" : "en";
  const t = (key, vars = {}) =>
    STRINGS[lang][key].replace(/\{(\w+)\}/g, (_, name) => (name in vars ? vars[name] : ""));

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };

  // ---------- Editing the textarea ----------
  // execCommand("insertText") keeps the browser's undo history; setRangeText is the fallback.
  function replaceRange(start, end, text, selStart, selEnd) {
    const focused = document.activeElement === body;
    body.setSelectionRange(start, end);
    let done = false;
    if (focused && typeof document.execCommand === "function") {
      try { done = document.execCommand("insertText", false, text); } catch { done = false; }
    }
    if (!done) {
      body.setRangeText(text, start, end, "end");
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }
    body.setSelectionRange(selStart ?? start + text.length, selEnd ?? start + text.length);
  }

  function wrapInline(marker, placeholder) {
    const { selectionStart: s, selectionEnd: e, value } = body;
    const selected = value.slice(s, e);
    const m = marker.length;
    // Pressing the same button again takes the marks away.
    if (value.slice(s - m, s) === marker && value.slice(e, e + m) === marker) {
      replaceRange(s - m, e + m, selected, s - m, e - m);
      return;
    }
    if (selected.length > 2 * m && selected.startsWith(marker) && selected.endsWith(marker)) {
      const inner = selected.slice(m, -m);
      replaceRange(s, e, inner, s, s + inner.length);
      return;
    }
    const text = selected || placeholder;
    replaceRange(s, e, marker + text + marker, s + m, s + m + text.length);
  }

  function prefixLines(prefix, placeholder) {
    const { value } = body;
    let { selectionStart: s, selectionEnd: e } = body;
    if (e > s && value[e - 1] === "\n") e -= 1;
    const lineStart = value.lastIndexOf("\n", s - 1) + 1;
    const lineEnd = value.indexOf("\n", e) === -1 ? value.length : value.indexOf("\n", e);
    const lines = value.slice(lineStart, lineEnd).split("\n");
    const pattern = prefix.startsWith("#") ? /^#{1,6}\s/ : new RegExp("^" + prefix.replace(/[*+>-]/g, "\\$&"));
    const filled = lines.filter((line) => line.trim());
    if (!filled.length) {
      // An empty line gets the prefix and a placeholder, selected to be typed over.
      const text = prefix + placeholder;
      return replaceRange(lineStart, lineEnd, text, lineStart + prefix.length, lineStart + text.length);
    }
    const remove = filled.every((line) => pattern.test(line));
    const text = lines
      .map((line) => (remove ? line.replace(pattern, "") : line.trim() ? prefix + line.replace(pattern, "") : line))
      .join("\n");
    replaceRange(lineStart, lineEnd, text, lineStart, lineStart + text.length);
  }

  function insertLink() {
    const { selectionStart: s, selectionEnd: e, value } = body;
    const selected = value.slice(s, e);
    if (/^https?:\/\/\S+$/.test(selected)) {
      const text = `[${t("linkText")}](${selected})`;
      replaceRange(s, e, text, s + 1, s + 1 + t("linkText").length);
    } else {
      const label = selected || t("linkText");
      const text = `[${label}](https://)`;
      const urlStart = s + label.length + 3;
      replaceRange(s, e, text, urlStart, urlStart + "https://".length);
    }
  }

  function insertCode() {
    const { selectionStart: s, selectionEnd: e, value } = body;
    const selected = value.slice(s, e);
    if (!selected.includes("\n")) { wrapInline("`", t("code")); return; }
    const before = s > 0 && value[s - 1] !== "\n" ? "\n" : "";
    const fenced = before + "```\n" + selected.replace(/\n$/, "") + "\n```\n";
    replaceRange(s, e, fenced, s + before.length + 4, s + before.length + 4 + selected.replace(/\n$/, "").length);
  }

  const ACTIONS = {
    heading: () => prefixLines("## ", t("heading")),
    bold: () => wrapInline("**", t("bold")),
    italic: () => wrapInline("*", t("italic")),
    strike: () => wrapInline("~~", t("strike")),
    link: insertLink,
    quote: () => prefixLines("> ", t("quote")),
    list: () => prefixLines("- ", t("listItem")),
    code: insertCode,
  };

  const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
  const SHORTCUTS = { b: "bold", i: "italic" };
  form.querySelectorAll("[data-md]").forEach((button) => {
    const action = button.dataset.md;
    const key = Object.keys(SHORTCUTS).find((k) => SHORTCUTS[k] === action);
    if (key) {
      button.setAttribute("aria-keyshortcuts", `${isMac ? "Meta" : "Control"}+${key.toUpperCase()}`);
      button.title += isMac ? ` (⌘${key.toUpperCase()})` : ` (Ctrl+${key.toUpperCase()})`;
    }
    if (!button.getAttribute("aria-label")) button.setAttribute("aria-label", button.title);
    button.addEventListener("click", () => { body.focus(); ACTIONS[action]?.(); });
  });

  body.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    const action = SHORTCUTS[event.key.toLowerCase()];
    if (action) { event.preventDefault(); ACTIONS[action](); }
  });

  // ---------- Requests ----------
  function postForm(url, fields, signal) {
    const data = new FormData();
    for (const [name, value] of Object.entries(fields)) data.append(name, value);
    const headers = { "X-CSRFToken": csrf, Accept: "application/json, text/html" };
    return fetch(url, { method: "POST", body: data, signal, credentials: "same-origin", headers });
  }
  // The editor's endpoints answer a lapsed session with 401; older ones redirected to log in.
  const isLoggedOut = (response) =>
    response.status === 401 || (response.redirected && /\/login\//.test(response.url));

  // ---------- Preview ----------
  const preview = form.querySelector("[data-preview]");
  const toggle = form.querySelector("[data-preview-toggle]");
  let previewTimer = 0;
  let previewRequest = null;

  async function refreshPreview() {
    if (!preview || preview.hidden) return;
    previewRequest?.abort();
    const controller = (previewRequest = new AbortController());
    preview.classList.add("is-loading");
    preview.setAttribute("aria-busy", "true");
    try {
      const response = await postForm(form.dataset.previewUrl, { body: body.value }, controller.signal);
      const text = await response.text();
      if (isLoggedOut(response)) preview.textContent = t("loggedOut");
      // The server sanitises the rendered Markdown; error answers are plain text.
      else if (response.ok) preview.innerHTML = text;
      else preview.textContent = response.status === 400 && text.length < 300 ? text : t("previewFailed");
    } catch (error) {
      if (error.name !== "AbortError") preview.textContent = t("previewFailed");
    } finally {
      if (previewRequest === controller) {
        preview.classList.remove("is-loading");
        preview.removeAttribute("aria-busy");
      }
    }
  }

  if (preview && toggle) {
    preview.dataset.empty = t("previewEmpty");
    // Announcing the whole preview on every keystroke would drown a screen reader.
    preview.removeAttribute("aria-live");
    toggle.setAttribute("aria-controls", preview.id || (preview.id = "editor-preview"));
    toggle.addEventListener("click", () => {
      const show = preview.hidden;
      preview.hidden = !show;
      toggle.setAttribute("aria-pressed", String(show));
      if (show) refreshPreview();
    });
    body.addEventListener("input", () => {
      if (preview.hidden) return;
      clearTimeout(previewTimer);
      previewTimer = setTimeout(refreshPreview, 600);
    });
  }

  // ---------- Image upload ----------
  const uploads = form.querySelector("[data-uploads]");
  const fileInput = form.querySelector("[data-upload-input]");
  const maxUpload = Number(form.dataset.maxUpload) || 20 * 1024 * 1024;

  function insertBlock(markdown) {
    const { value, selectionStart: s, selectionEnd: e } = body;
    // Images stand in paragraphs of their own: a blank line before and after.
    const gap = s === 0 ? "" : value.slice(Math.max(0, s - 2), s) === "\n\n" ? "" : value[s - 1] === "\n" ? "\n" : "\n\n";
    const text = gap + markdown + (value.slice(e, e + 1) === "\n" ? "\n" : "\n\n");
    replaceRange(s, e, text, s + text.length, s + text.length);
  }

  function uploadRow(file) {
    const row = el("div", "upload");
    const name = el("span", "upload__name", file.name || "image");
    const state = el("span", "upload__state", t("uploading"));
    const bar = el("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name || "image");
    row.append(name, state, bar);
    uploads?.append(row);
    return {
      progress(percent) { bar.value = percent; state.textContent = `${Math.round(percent)}%`; },
      done() {
        row.classList.add("upload--done");
        state.textContent = "✓ " + t("uploaded");
        setTimeout(() => row.remove(), 4000);
      },
      fail(message) {
        row.classList.add("upload--error");
        state.textContent = message;
        state.setAttribute("role", "alert");
        const close = Object.assign(el("button", "link-button", t("dismiss")), { type: "button", onclick: () => row.remove() });
        row.append(close);
      },
    };
  }

  function upload(file) {
    const row = uploadRow(file);
    if (!file.type.startsWith("image/")) return row.fail(t("notImage"));
    if (file.size > maxUpload) return row.fail(t("tooBig", { mb: Math.floor(maxUpload / 1048576) }));
    const data = new FormData();
    data.append("file", file, file.name || "image.png");
    // XMLHttpRequest, not fetch, because only it reports upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) row.progress((event.loaded / event.total) * 100);
    });
    xhr.addEventListener("load", () => {
      let answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch { answer = null; }
      if (xhr.status === 201 && answer && answer.markdown) {
        insertBlock(answer.markdown);
        row.done();
      } else if (answer && answer.errors) {
        const messages = Object.values(answer.errors).flat().map((e) => e.message || e);
        row.fail(messages.join(" ") || t("uploadFailed"));
      } else if (xhr.status === 401 || /\/login\//.test(xhr.responseURL)) {
        row.fail(t("loggedOut"));
      } else {
        row.fail(t("uploadFailed"));
      }
    });
    xhr.addEventListener("error", () => row.fail(t("uploadOffline")));
    xhr.send(data);
  }

  const imagesOf = (list) => Array.from(list || []).filter((file) => file.type.startsWith("image/"));

  fileInput?.addEventListener("change", () => {
    Array.from(fileInput.files).forEach(upload);
    fileInput.value = "";
  });

  const hasFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");
  body.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    body.classList.add("is-dragover");
  });
  body.addEventListener("dragleave", () => body.classList.remove("is-dragover"));
  body.addEventListener("drop", (event) => {
    body.classList.remove("is-dragover");
    if (!hasFiles(event)) return;
    event.preventDefault();
    body.focus();
    // Non-images get a row too, so the writer learns why nothing was added.
    Array.from(event.dataTransfer.files).forEach(upload);
  });
  body.addEventListener("paste", (event) => {
    const data = event.clipboardData;
    const images = imagesOf(data?.files);
    // Text copied from a web page can carry an image as well; then the text is what was meant.
    if (!images.length || data.types.includes("text/plain")) return;
    event.preventDefault();
    images.forEach(upload);
  });

  // ---------- The copy kept on this device ----------
  let storageKey = form.dataset.storageKey || "koe-draft-new";
  const updatedAt = Number(form.dataset.updatedAt || 0) * 1000;
  const snapshot = () => ({ title: titleInput.value, body: body.value });
  const same = (a, b) => a.title.trim() === b.title.trim() && a.body.replace(/\s+$/, "") === b.body.replace(/\s+$/, "");

  function readStored(key = storageKey) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch { return null; }
  }
  // `synced` marks a copy the server has confirmed, so it never outranks a later edit elsewhere.
  function keepLocally(synced = false) {
    try { localStorage.setItem(storageKey, JSON.stringify({ ...snapshot(), at: Date.now(), synced })); } catch { /* full or disabled */ }
  }
  function forgetLocally(key = storageKey) {
    try { localStorage.removeItem(key); } catch { /* disabled */ }
  }

  function offerRestore() {
    const stored = readStored();
    if (!stored || typeof stored.body !== "string") return;
    const blank = !stored.title.trim() && !stored.body.trim();
    // A synced copy older than the server's words was overtaken by an edit made elsewhere.
    if (blank || same(stored, snapshot()) || (stored.synced && stored.at <= updatedAt)) return forgetLocally();
    const bar = el("div", "editor__restore");
    bar.setAttribute("role", "region");
    bar.setAttribute("aria-label", t("restore"));
    const time = new Date(stored.at).toLocaleString(lang === "ja" ? "ja-JP" : "en-GB", {
      month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    });
    const restore = el("button", "button button--small button--primary", t("restore"));
    const discard = el("button", "button button--small button--ghost", t("discard"));
    restore.type = discard.type = "button";
    bar.append(el("p", null, t("restoreText", { time })), restore, discard);
    form.querySelector(".editor__pane")?.before(bar);
    restore.addEventListener("click", () => {
      titleInput.value = stored.title;
      body.value = stored.body;
      bar.remove();
      body.focus();
      changed();
      setStatus(t("restored"));
    });
    discard.addEventListener("click", () => { bar.remove(); forgetLocally(); body.focus(); });
  }

  // ---------- Autosave ----------
  const statusBox = form.querySelector("[data-autosave-status]");
  const autosaveOn = form.dataset.autosave === "on";
  let autosaveUrl = form.dataset.autosaveUrl;
  let isNew = /\/new\/?$/.test(new URL(form.action, location.href).pathname);
  let dirty = false;
  let saving = false;
  let saveTimer = 0;
  let retryDelay = 5000;
  let pendingSubmitter = undefined;

  function setStatus(text, state = "") {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.classList.toggle("is-offline", state === "offline");
    statusBox.classList.toggle("is-error", state === "error");
  }

  function scheduleSave(delay) {
    if (!autosaveOn || saveTimer) return;
    saveTimer = setTimeout(save, delay);
  }

  function changed() {
    keepLocally();
    dirty = true;
    scheduleSave(5000);
  }

  async function save() {
    saveTimer = 0;
    if (saving || !dirty) return;
    const sent = snapshot();
    if (!sent.title.trim() && !sent.body.trim()) return;
    dirty = false;
    saving = true;
    setStatus(t("saving"));
    let retry = false;
    try {
      const response = await postForm(autosaveUrl, sent);
      const answer = (response.headers.get("Content-Type") || "").includes("json") ? await response.json() : null;
      if (response.ok && answer && answer.id) {
        adoptDraft(answer);
        if (same(sent, snapshot())) keepLocally(true);
        retryDelay = 5000;
        setStatus(t("saved", { time: answer.saved_at }));
      } else if (isLoggedOut(response)) {
        dirty = true;
        setStatus(t("loggedOut"), "error");
      } else if (answer && answer.errors) {
        const message = Object.values(answer.errors).flat().map((e) => e.message).join(" ");
        setStatus(t("saveFailed", { message }), "error");
      } else {
        dirty = retry = true;
        setStatus(response.status === 429 ? t("tooManyRequests") : t("offline"), "offline");
      }
    } catch {
      dirty = retry = true;
      setStatus(t("offline"), "offline");
    } finally {
      saving = false;
    }
    if (pendingSubmitter !== undefined) {
      const submitter = pendingSubmitter;
      pendingSubmitter = undefined;
      form.requestSubmit(submitter);
      return;
    }
    if (retry) {
      retryDelay = Math.min(retryDelay * 2, 60000);
      scheduleSave(retryDelay);
    } else if (dirty) {
      scheduleSave(5000);
    }
  }

  // After the first save of a new post, everything else must point at that draft.
  function adoptDraft(answer) {
    if (answer.autosave_url && answer.autosave_url !== autosaveUrl) {
      autosaveUrl = form.dataset.autosaveUrl = answer.autosave_url;
    }
    if (answer.form_url && isNew) {
      isNew = false;
      form.action = answer.form_url;
      history.replaceState(history.state, "", answer.form_url);
      const oldKey = storageKey;
      storageKey = form.dataset.storageKey = oldKey.replace(/new$/, String(answer.id));
      if (storageKey !== oldKey) {
        forgetLocally(oldKey);
        keepLocally();
      }
    }
  }

  [titleInput, body].forEach((field) => field.addEventListener("input", changed));

  window.addEventListener("online", () => {
    if (dirty) { clearTimeout(saveTimer); saveTimer = 0; scheduleSave(500); }
  });
  window.addEventListener("offline", () => setStatus(t("offline"), "offline"));
  if (!autosaveOn) {
    // Published posts are not autosaved to the server; say where the words are kept.
    [titleInput, body].forEach((field) =>
      field.addEventListener("input", () => setStatus(t("keptLocally")), { once: true }));
  }

  form.addEventListener("submit", (event) => {
    // A first autosave in flight would become a second post; let it land, then submit.
    if (saving && isNew) {
      event.preventDefault();
      pendingSubmitter = event.submitter || null;
      return;
    }
    clearTimeout(saveTimer);
    saveTimer = 0;
    dirty = false;
    forgetLocally();
  });

  offerRestore();
})();
