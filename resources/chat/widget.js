/* csdesk chat widget: <script src="https://desk.example.com/chat/widget.js"
 *   data-csdesk-store="my-store"></script>
 * Plain JavaScript, no build step, no cookies: the visitor's session token lives in
 * localStorage and travels in the X-Chat-Token header. Accessible: a labelled launcher
 * button, a dialog with a heading, a labelled textarea, a polite live region that reads
 * out agents' replies, Escape to close, Enter to send (Shift+Enter for a new line).
 * Language: data-csdesk-lang="de" on the script tag (the shop states it), else <html lang>,
 * else the browser's first language; the words come from /chat/strings?lang=..., with the
 * English table T built in for when they cannot be fetched. Server text goes in with
 * textContent only. */
(function () {
  "use strict";
  if (window.__csdeskChat) { return; }
  window.__csdeskChat = true;

  var script = document.currentScript ||
    document.querySelector("script[data-csdesk-store]") ||
    document.querySelector("script[src*='/chat/widget.js']");
  var src = new URL(script.getAttribute("src"), document.baseURI);
  var base = src.origin + src.pathname.replace(/\/chat\/widget\.js$/, "");
  var store = script.getAttribute("data-csdesk-store") || "";
  var keyName = "csdesk-chat:" + base + ":" + store;
  // The keys of csdesk.server.chat.texts.WIDGET (a test checks both match).
  var T = {
    open: "Chat with us", title: "Chat with us", close: "Close chat",
    message: "Your message", send: "Send", typing: "Agent is typing\u2026",
    you: "You", agent: "Agent", email: "Your email (optional, so we can follow up)",
    formEmail: "Your email",
    saveEmail: "Save email", emailSaved: "Thanks, we saved your email address.",
    emailBad: "That does not look like an email address.", failed: "Sending failed; please try again.",
    offlineTitle: "We are offline", offlineText: "Leave a message and we will reply by email.",
    name: "Your name", formSent: "Thank you! We will reply by email.", log: "Conversation",
    intro: "Hello! How can we help you today?", transcript: "Email me the transcript",
    transcriptSent: "We are emailing you the transcript.",
    transcriptConfirm: "We emailed you a link: open it to receive the transcript.",
    file: "Download {name}", fileFailed: "The file could not be downloaded; please try again.",
    rate: "Rate this chat (opens the survey in a new tab)",
    ratingLegend: "How satisfied are you with this chat?",
    rating1: "1 \u2013 Very unsatisfied", rating2: "2 \u2013 Unsatisfied", rating3: "3 \u2013 Neutral",
    rating4: "4 \u2013 Satisfied", rating5: "5 \u2013 Very satisfied",
    ratingComment: "Anything you would like to tell us? (optional)", ratingSend: "Send rating",
    ratingAsk: "This chat is resolved. Please rate it below the conversation.",
    ratingMissing: "Please choose how satisfied you are (1 to 5).",
    ratingThanks: "Thank you for your rating!",
    ratingAnswered: "This survey was already answered. Thank you!",
    ratingExpired: "This survey has expired. Thank you all the same."
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }
  // Nodes showing a word of T, redrawn when the visitor's language arrives.
  var bound = [];
  function bind(node, key, attr) {
    bound.push({ node: node, key: key, attr: attr });
    return node;
  }
  function words(key, attr) { return function (node) { return bind(node, key, attr); }; }
  var label = function (key) { return words(key, "aria-label"); };
  var text = function (key) { return words(key, null); };

  // The visitor's language: what the shop states, else the page's, else the browser's.
  // Only a language tag ("de", "pt-BR") is asked for; anything else means English.
  function pickLanguage() {
    var said = script.getAttribute("data-csdesk-lang") || document.documentElement.getAttribute("lang") ||
      (navigator.languages && navigator.languages[0]) || navigator.language || "en";
    var tag = /^\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)(?![A-Za-z0-9])/.exec(String(said));
    return tag ? tag[1] : "en";
  }
  var wanted = pickLanguage();
  var language = null;     // the language the widget speaks, once the server confirmed it
  function uid() {
    var a = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var css = el("link", { rel: "stylesheet", href: base + "/chat/widget.css" });
  document.head.appendChild(css);

  var root = el("div", { "class": "csdesk-chat" });
  var launcher = label("open")(el("button", {
    type: "button", "class": "csdesk-launcher", "aria-label": T.open,
    "aria-expanded": "false", "aria-controls": "csdesk-chat-panel"
  }, "\uD83D\uDCAC"));
  var panel = el("div", {
    id: "csdesk-chat-panel", "class": "csdesk-panel", role: "dialog",
    "aria-labelledby": "csdesk-chat-title", "aria-modal": "false", hidden: ""
  });
  var head = el("div", { "class": "csdesk-head" });
  var title = el("h2", { id: "csdesk-chat-title" }, T.title);
  var closeBtn = label("close")(el("button", { type: "button", "class": "csdesk-close", "aria-label": T.close }, "\u00D7"));
  head.appendChild(title); head.appendChild(closeBtn);
  var log = label("log")(el("div", { "class": "csdesk-log", role: "log", "aria-label": T.log, "aria-live": "off", tabindex: "0" }));
  var announcer = el("div", { "class": "csdesk-sr", "aria-live": "polite", "aria-atomic": "false" });
  var typingLine = el("p", { "class": "csdesk-typing" });
  var note = el("p", { "class": "csdesk-note", role: "status" });

  var form = el("form", { "class": "csdesk-form", "data-part": "chat" });
  form.appendChild(text("message")(el("label", { "for": "csdesk-chat-text" }, T.message)));
  var textarea = el("textarea", { id: "csdesk-chat-text", rows: "2", maxlength: "5000", autocomplete: "off" });
  form.appendChild(textarea);
  form.appendChild(text("send")(el("button", { type: "submit" }, T.send)));

  var emailForm = el("form", { "class": "csdesk-form", "data-part": "email" });
  emailForm.appendChild(text("email")(el("label", { "for": "csdesk-chat-email" }, T.email)));
  var emailInput = el("input", { id: "csdesk-chat-email", type: "email", autocomplete: "email", maxlength: "320" });
  emailForm.appendChild(emailInput);
  emailForm.appendChild(text("saveEmail")(el("button", { type: "submit" }, T.saveEmail)));
  var transcriptBtn = text("transcript")(el("button", { type: "button", hidden: "" }, T.transcript));
  emailForm.appendChild(transcriptBtn);

  var offline = el("form", { "class": "csdesk-form", "data-part": "offline", hidden: "" });
  offline.appendChild(text("offlineText")(el("p", {}, T.offlineText)));
  offline.appendChild(text("name")(el("label", { "for": "csdesk-form-name" }, T.name)));
  var formName = el("input", { id: "csdesk-form-name", type: "text", autocomplete: "name", maxlength: "200" });
  offline.appendChild(formName);
  offline.appendChild(text("formEmail")(el("label", { "for": "csdesk-form-email" }, T.formEmail)));
  var formEmail = el("input", { id: "csdesk-form-email", type: "email", autocomplete: "email", required: "", maxlength: "320" });
  offline.appendChild(formEmail);
  offline.appendChild(text("message")(el("label", { "for": "csdesk-form-text" }, T.message)));
  var formText = el("textarea", { id: "csdesk-form-text", rows: "3", required: "", maxlength: "5000" });
  offline.appendChild(formText);
  offline.appendChild(text("send")(el("button", { type: "submit" }, T.send)));

  // The inline satisfaction rating goes here when a survey arrives (see showRating).
  var ratingBox = el("div", { "class": "csdesk-rating-box" });

  [head, log, ratingBox, announcer, typingLine, note, form, emailForm, offline].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(panel); root.appendChild(launcher);
  document.body.appendChild(root);

  // --- state and the API -----------------------------------------------------------------
  var token = null;
  try { token = window.localStorage.getItem(keyName); } catch (e) { token = null; }
  var shown = {};          // message id -> true
  var toAck = [];          // agent replies shown, to acknowledge on the next poll
  var agentTyping = false;
  var polling = false;
  var hasConversation = false;

  function api(method, path, body) {
    var headers = {};
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (token) { headers["X-Chat-Token"] = token; }
    return fetch(base + path, {
      method: method, headers: headers, mode: "cors", credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 401 && token) { forget(); }
      if (!r.ok) { var err = new Error("HTTP " + r.status); err.status = r.status; throw err; }
      return r.status === 204 ? null : r.json();
    });
  }
  function forget() {
    token = null; hasConversation = false;
    try { window.localStorage.removeItem(keyName); } catch (e) { /* private mode */ }
  }
  function ensureSession() {
    if (token) { return Promise.resolve(token); }
    return asked.then(function () {
      return api("POST", "/chat/api/session", { store: store || null, language: language });
    }).then(function (r) {
      token = r.token;
      try { window.localStorage.setItem(keyName, token); } catch (e) { /* private mode */ }
      poll();
      return token;
    });
  }

  function render(m) {
    if (shown[m.id]) { return; }
    shown[m.id] = true;
    var mine = m.direction === "in";
    var item = el("div", { "class": "csdesk-msg " + (mine ? "in" : "out"), "data-id": m.id });
    item.appendChild(el("span", { "class": "csdesk-who" }, mine ? T.you : (m.author || T.agent)));
    item.appendChild(document.createTextNode(m.text));
    var names = (m.attachments || []).map(function (a) {
      // A real link (keyboard and screen readers know it); the click fetches the file with
      // the session token, which a plain link could not send.
      var link = el("a", { href: base + a.url, "class": "csdesk-file", download: a.name },
        T.file.replace("{name}", a.name));
      link.addEventListener("click", function (ev) { ev.preventDefault(); download(a); });
      item.appendChild(link);
      return a.name;
    });
    if (m.survey && !m.rating) {  // a survey with no inline rating: its page, as a real link
      item.appendChild(el("a", { href: base + m.survey, target: "_blank", rel: "noopener noreferrer",
        "class": "csdesk-survey" }, T.rate));
    }
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    if (!mine) {
      announcer.appendChild(el("p", {}, (m.author || T.agent) + ": " + m.text +
        (names.length ? " (" + names.join(", ") + ")" : "")));
      while (announcer.childNodes.length > 5) { announcer.removeChild(announcer.firstChild); }
    }
    // The satisfaction survey, answered right here (said after the survey message itself).
    if (m.rating === "open") { showRating(m.id); }
  }
  // --- the inline rating: native radios in a fieldset (Tab in, arrows between choices),
  // a labelled comment, errors said on the question and in an alert; focus goes to the
  // thanks when it is sent, so a keyboard or screen-reader user is never left nowhere.
  function showRating(messageId) {
    while (ratingBox.firstChild) { ratingBox.removeChild(ratingBox.firstChild); }
    var rform = el("form", { "class": "csdesk-form csdesk-rating", "data-part": "rating", "data-message": messageId });
    var set = el("fieldset", { id: "csdesk-rating-q" });
    set.appendChild(text("ratingLegend")(el("legend", {}, T.ratingLegend)));
    var error = el("p", { id: "csdesk-rating-error", "class": "csdesk-rating-error", role: "alert" });
    set.appendChild(error);
    var radios = [1, 2, 3, 4, 5].map(function (n) {
      var id = "csdesk-rating-" + n;
      var choice = el("label", { "for": id, "class": "csdesk-rating-choice" });
      var input = el("input", { type: "radio", id: id, name: "csdesk-rating", value: String(n) });
      choice.appendChild(input);
      choice.appendChild(text("rating" + n)(el("span", {}, T["rating" + n])));
      set.appendChild(choice);
      return input;
    });
    rform.appendChild(set);
    rform.appendChild(text("ratingComment")(el("label", { "for": "csdesk-rating-comment" }, T.ratingComment)));
    var comment = el("textarea", { id: "csdesk-rating-comment", rows: "2", maxlength: "2000" });
    rform.appendChild(comment);
    var submit = text("ratingSend")(el("button", { type: "submit" }, T.ratingSend));
    rform.appendChild(submit);
    ratingBox.appendChild(rform);
    announcer.appendChild(el("p", {}, T.ratingAsk));

    var busy = false;  // not "disabled": that would drop the focus before the thanks take it
    function done(words) {
      var thanks = el("p", { "class": "csdesk-rating-done", tabindex: "-1" }, words);
      var hadFocus = rform.contains(document.activeElement);
      ratingBox.replaceChild(thanks, rform);
      if (hadFocus) { thanks.focus(); }
    }
    rform.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (busy) { return; }
      var chosen = radios.filter(function (r) { return r.checked; })[0];
      if (!chosen) {
        error.textContent = T.ratingMissing;
        set.setAttribute("aria-invalid", "true");
        set.setAttribute("aria-describedby", "csdesk-rating-error");
        radios[0].focus();
        return;
      }
      error.textContent = "";
      set.removeAttribute("aria-invalid");
      set.removeAttribute("aria-describedby");
      busy = true;
      submit.setAttribute("aria-disabled", "true");
      api("POST", "/chat/api/rating", {
        message_id: messageId, csat: Number(chosen.value), comment: comment.value
      }).then(function () { done(T.ratingThanks); }, function (err) {
        busy = false;
        submit.removeAttribute("aria-disabled");
        if (err.status === 409) { done(T.ratingAnswered); } else if (err.status === 410) { done(T.ratingExpired); } else {
          error.textContent = T.failed;
        }
      });
    });
  }

  function download(a) {
    fetch(base + a.url, { headers: { "X-Chat-Token": token || "" }, mode: "cors", credentials: "omit" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.blob(); })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        var tmp = el("a", { href: url, download: a.name });
        document.body.appendChild(tmp);
        tmp.click();
        document.body.removeChild(tmp);
        setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      })
      .catch(function () { note.textContent = T.fileFailed; });
  }
  function setTyping(names) {
    agentTyping = names.length > 0;
    typingLine.textContent = agentTyping ? T.typing : "";
  }

  function poll() {
    if (polling || !token) { return; }
    polling = true;
    var delay = 1000;
    (function round() {
      if (!token) { polling = false; return; }
      var q = "?wait=25&typing=" + (agentTyping ? "true" : "false") +
        toAck.map(function (id) { return "&ack=" + encodeURIComponent(id); }).join("");
      var acked = toAck; toAck = [];
      api("GET", "/chat/api/updates" + q).then(function (r) {
        delay = 1000;
        r.messages.forEach(function (m) { hasConversation = true; render(m); toAck.push(m.id); });
        setTyping(r.agents_typing || []);
        round();
      }, function (err) {
        toAck = acked.concat(toAck);
        if (err.status === 401) { polling = false; return; }
        window.setTimeout(round, delay);
        delay = Math.min(delay * 2, 15000);
      });
    })();
  }

  // --- visitor actions ---------------------------------------------------------------------
  function sendText() {
    var text = textarea.value.trim();
    if (!text) { return; }
    var clientId = uid();
    textarea.value = "";
    note.textContent = "";
    stopTyping();
    ensureSession().then(function () {
      return api("POST", "/chat/api/messages", { text: text, client_id: clientId, store: store || null });
    }).then(function (r) {
      hasConversation = true;
      render({ id: r.id, direction: "in", text: text });
    }).catch(function () {
      textarea.value = text;
      note.textContent = T.failed;
    });
  }
  form.addEventListener("submit", function (ev) { ev.preventDefault(); sendText(); });
  textarea.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); sendText(); }
  });

  var typingSentAt = 0, typingTimer = null, typingOn = false;
  function stopTyping() {
    if (typingTimer) { window.clearTimeout(typingTimer); typingTimer = null; }
    if (typingOn && token) { typingOn = false; api("POST", "/chat/api/typing", { typing: false }).catch(function () {}); }
    typingOn = false;
  }
  textarea.addEventListener("input", function () {
    if (!token || !hasConversation) { return; }
    var now = Date.now();
    if (!typingOn || now - typingSentAt > 3000) {
      typingOn = true; typingSentAt = now;
      api("POST", "/chat/api/typing", { typing: true }).catch(function () {});
    }
    if (typingTimer) { window.clearTimeout(typingTimer); }
    typingTimer = window.setTimeout(stopTyping, 4000);
  });

  emailForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var email = emailInput.value.trim();
    if (!email) { return; }
    ensureSession().then(function () {
      return api("POST", "/chat/api/email", { email: email });
    }).then(function () { note.textContent = T.emailSaved; }, function (err) {
      note.textContent = err.status === 422 ? T.emailBad : T.failed;
    });
  });

  transcriptBtn.addEventListener("click", function () {
    if (!token) { note.textContent = T.failed; return; }
    fetch(base + "/chat/api/transcript", {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json", "X-Chat-Token": token },
      body: JSON.stringify({ store: store || null })
    }).then(function (r) {
      if (r.ok) {
        return r.json().then(function (b) {
          note.textContent = b.status === "confirm" ? T.transcriptConfirm : T.transcriptSent;
        });
      }
      return r.json().then(function (b) { note.textContent = (b.error && b.error.message) || T.failed; });
    }).catch(function () { note.textContent = T.failed; });
  });

  offline.addEventListener("submit", function (ev) {
    ev.preventDefault();
    api("POST", "/chat/api/contact", {
      name: formName.value, email: formEmail.value.trim(), text: formText.value, store: store || null,
      language: language
    }).then(function () {
      offline.reset(); offline.hidden = true; note.textContent = T.formSent;
    }, function (err) { note.textContent = err.status === 422 ? T.emailBad : T.failed; });
  });

  // --- opening, closing, offline hours -------------------------------------------------------
  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = offline.hidden ? textarea : formName;
      first.focus();
    } else {
      launcher.focus();
    }
  }
  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { ev.preventDefault(); setOpen(false); }
  });

  var isOffline = false;
  function showOffline(off) {
    isOffline = off;
    offline.hidden = !off;
    form.hidden = off; emailForm.hidden = off; log.hidden = off;
    title.textContent = off ? T.offlineTitle : T.title;
  }
  function ready() { root.setAttribute("data-ready", "true"); }

  render({ id: "csdesk-intro", direction: "out", author: T.agent, text: T.intro });
  (function () {  // the greeting follows the language too
    var intro = log.querySelector("[data-id='csdesk-intro']");
    var who = intro.firstChild;
    bind(who, "agent", null);
    bind(intro.childNodes[1], "intro", null);
  })();
  announcer.textContent = "";

  // --- the visitor's language ------------------------------------------------------------------
  function applyWords(answer) {
    answer = answer || {};
    var got = answer.strings || {};
    Object.keys(T).forEach(function (k) {
      if (typeof got[k] === "string" && got[k]) { T[k] = got[k]; }
    });
    bound.forEach(function (b) {
      if (b.attr) { b.node.setAttribute(b.attr, T[b.key]); } else { b.node.textContent = T[b.key]; }
    });
    title.textContent = isOffline ? T.offlineTitle : T.title;
    if (typingLine.textContent) { typingLine.textContent = T.typing; }
    var lang = typeof answer.language === "string" ? answer.language : "en";
    var dir = answer.dir === "rtl" ? "rtl" : "ltr";
    [panel, launcher].forEach(function (n) { n.setAttribute("lang", lang); n.setAttribute("dir", dir); });
    language = lang;
    root.setAttribute("data-lang", lang);
  }
  var asked;
  if (/^en([-_]|$)/i.test(wanted)) {
    language = "en";
    asked = Promise.resolve();
  } else {
    asked = fetch(base + "/chat/strings?lang=" + encodeURIComponent(wanted), { mode: "cors", credentials: "omit" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(applyWords).catch(function () { /* keep English */ });
  }

  // A visitor already chatting keeps the chat after hours; a new one gets the form.
  var status = api("GET", "/chat/api/status").then(function (s) {
    showOffline(!s.open && !token);
    transcriptBtn.hidden = !s.transcript_email;
  }, function () { /* server unreachable: keep the chat; sending reports failures */ });
  Promise.all([status, asked]).then(ready, ready);
  if (token) {
    api("GET", "/chat/api/messages").then(function (r) {
      r.messages.forEach(function (m) { hasConversation = true; render(m); });
      announcer.textContent = "";
      poll();
    }, function () { poll(); });
  }
})();
