/* 站内搜索 with the Pagefind index when it was built; otherwise point to the site map. */
(function () {
  "use strict";
  var form = document.querySelector("[data-search-form]");
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var base = new URL("pagefind/", document.baseURI).href;
  var pagefind = null;

  function unavailable() {
    var note = document.querySelector("[data-search-unavailable]");
    if (note) note.hidden = false;
    if (form) form.hidden = true;
  }

  function load() {
    if (pagefind) return Promise.resolve(pagefind);
    return import(base + "pagefind.js").then(function (module) {
      pagefind = module;
      return module.options ? module.options({ baseUrl: new URL("./", document.baseURI).pathname }).then(function () { return module; }) : module;
    });
  }

  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function run(query) {
    list.innerHTML = "";
    if (!query) { status.textContent = ""; return; }
    status.textContent = "正在搜索……";
    load().then(function (pf) { return pf.search(query); }).then(function (search) {
      return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }));
    }).then(function (results) {
      status.textContent = results.length ? "找到 " + results.length + " 条结果" : "没有找到与“" + query + "”相关的公告";
      results.forEach(function (data) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = data.url;
        a.textContent = (data.meta && data.meta.title) || data.url;
        var p = document.createElement("p");
        p.innerHTML = data.excerpt || escapeText("");
        li.appendChild(a);
        li.appendChild(p);
        list.appendChild(li);
      });
    }).catch(function () { status.textContent = ""; unavailable(); });
  }

  if (!form) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = input.value.trim();
    var url = new URL(location.href);
    url.searchParams.set("q", q);
    history.replaceState(null, "", url);
    run(q);
  });
  var initial = new URL(location.href).searchParams.get("q");
  if (initial) { input.value = initial; run(initial); }
  fetch(base + "pagefind.js", { method: "HEAD" }).then(function (r) { if (!r.ok) unavailable(); }).catch(function () { /* file:// */ });
})();
