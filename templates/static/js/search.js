/* 站内搜索 with the Pagefind index built by `python build.py` (Chinese word segmentation).
   The form stays hidden until the index has loaded; without JavaScript the page's <noscript>
   text points to the site map, and without an index a note does the same. */
(function () {
  "use strict";
  var form = document.querySelector("[data-search-form]");
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !status || !list) return;
  var siteRoot = new URL("./", document.baseURI);  // search.html sits at the site root

  function unavailable() {
    var note = document.querySelector("[data-search-unavailable]");
    if (note) note.hidden = false;
    form.hidden = true;
    status.textContent = "";
  }

  var ready = import(new URL("pagefind/pagefind.js", siteRoot).href).then(function (pf) {
    return Promise.resolve(pf.options({ baseUrl: siteRoot.pathname }))
      .then(function () { return pf.init ? pf.init() : null; })
      .then(function () { return pf; });
  });

  function show(query, results) {
    list.textContent = "";
    status.textContent = results.length
      ? "“" + query + "”共找到 " + results.length + " 条结果"
      : "没有找到与“" + query + "”相关的公告，请换个关键词，或通过网站地图查找。";
    results.forEach(function (data) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = data.url;
      a.textContent = (data.meta && data.meta.title) || data.url;
      li.appendChild(a);
      if (data.excerpt) {
        var p = document.createElement("p");
        p.className = "search-excerpt";
        p.innerHTML = data.excerpt;  // Pagefind's excerpt: escaped text with <mark> around the hits
        li.appendChild(p);
      }
      list.appendChild(li);
    });
  }

  function run(query) {
    list.textContent = "";
    if (!query) { status.textContent = "请输入搜索关键词。"; return; }
    status.textContent = "正在搜索……";
    ready.then(function (pf) { return pf.search(query); }).then(function (search) {
      return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }));
    }).then(function (results) { show(query, results); }, unavailable);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value.trim();
    var url = new URL(location.href);
    url.searchParams.set("q", query);
    history.replaceState(null, "", url);
    run(query);
  });

  ready.then(function () {
    form.hidden = false;
    form.setAttribute("data-search-ready", "");
    var initial = new URL(location.href).searchParams.get("q");
    if (initial) { input.value = initial; run(initial.trim()); }
  }, unavailable);
})();
