/* Reading aids: 长者模式, 高对比度, font size, print, close, and 朗读 (speechSynthesis). */
(function () {
  "use strict";
  var root = document.documentElement;
  var keys = { elder: "np-elder", contrast: "np-contrast" };

  function store(key, value) {
    try { localStorage.setItem(key, value ? "1" : "0"); } catch (e) { /* ignore */ }
  }

  document.querySelectorAll("[data-mode]").forEach(function (button) {
    var mode = button.getAttribute("data-mode");
    button.setAttribute("aria-pressed", root.classList.contains(mode) ? "true" : "false");
    button.addEventListener("click", function () {
      var on = !root.classList.contains(mode);
      root.classList.toggle(mode, on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      store(keys[mode], on);
    });
  });

  var body = document.getElementById("article-body");
  document.querySelectorAll("[data-font]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!body) return;
      body.classList.remove("font-large", "font-small");
      var size = button.getAttribute("data-font");
      if (size !== "medium") body.classList.add("font-" + size);
    });
  });

  document.querySelectorAll("[data-action]").forEach(function (button) {
    var action = button.getAttribute("data-action");
    if (action === "print") button.addEventListener("click", function () { window.print(); });
    if (action === "close") button.addEventListener("click", function () {
      window.close();
      if (!window.closed) { history.length > 1 ? history.back() : (location.href = button.getAttribute("data-home") || "../../index.html"); }
    });
    if (action === "speak") {
      if (!("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined") return;
      button.hidden = false;
      var speaking = false;
      button.addEventListener("click", function () {
        if (speaking) { window.speechSynthesis.cancel(); speaking = false; button.textContent = "【朗读】"; return; }
        var source = document.getElementById("spoken-text");
        var text = source ? source.textContent : (body ? body.innerText : "");
        var title = document.querySelector(".article-title");
        var utterance = new SpeechSynthesisUtterance((title ? title.textContent + "。" : "") + text);
        utterance.lang = "zh-CN";
        utterance.rate = 0.9;
        utterance.onend = function () { speaking = false; button.textContent = "【朗读】"; };
        window.speechSynthesis.speak(utterance);
        speaking = true;
        button.textContent = "【停止朗读】";
      });
    }
  });
})();
