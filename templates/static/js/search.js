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

  // The index comes in shards (consecutive months of one year each, see builder/search.py), listed newest
  // first in pagefind/shards.json: the first is loaded, the others are merged into it, so a query
  // searches every year.
  function bundle(name) { return new URL("pagefind/" + name + "/", siteRoot); }
  var ready = fetch(new URL("pagefind/shards.json", siteRoot)).then(function (response) {
    if (!response.ok) throw new Error("no search index");
    return response.json();
  }).then(function (listing) {
    var shards = (listing && listing.shards) || [];
    if (!shards.length) throw new Error("no search index");
    return import(new URL("pagefind.js", bundle(shards[0])).href).then(function (pf) {
      return Promise.resolve(pf.options({ baseUrl: siteRoot.pathname }))
        .then(function () { return pf.init ? pf.init() : null; })
        .then(function () {
          return Promise.all(shards.slice(1).map(function (name) {
            return pf.mergeIndex(bundle(name).pathname, { baseUrl: siteRoot.pathname });
          }));
        })
        .then(function () { return pf; });
    });
  });

  var tagPages = {};
  try { tagPages = JSON.parse(document.getElementById("search-tags").textContent); } catch (e) { /* none */ }

  function path(url) { return new URL(url, location.href).pathname; }

  // The notices listed on the tag page whose name is exactly the query (newest first).
  function tagged(query) {
    if (!Object.prototype.hasOwnProperty.call(tagPages, query)) return Promise.resolve([]);
    var page = new URL(tagPages[query], siteRoot);
    return fetch(page).then(function (response) { return response.ok ? response.text() : ""; }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      return Array.prototype.map.call(doc.querySelectorAll(".notice-list li > a"), function (a) {
        return { url: new URL(a.getAttribute("href"), page).href, meta: { title: a.textContent }, excerpt: "" };
      });
    }).catch(function () { return []; });
  }

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
    Promise.all([
      ready.then(function (pf) { return pf.search(query); }).then(function (search) {
        return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }));
      }),
      tagged(query)
    ]).then(function (found) {
      // Notices tagged with exactly this word come first (those also found in the text first of all),
      // then the other full-text hits.  The browser's word segmenter can split a Chinese query
      // differently from Pagefind's indexer, so a notice tagged 疫情防控 is found even when its
      // text was segmented as 疫情 / 防控.
      var text = found[0], tags = found[1];
      var inTag = {}, inText = {};
      tags.forEach(function (t) { inTag[path(t.url)] = true; });
      text.forEach(function (d) { inText[path(d.url)] = true; });
      return text.filter(function (d) { return inTag[path(d.url)]; })
        .concat(tags.filter(function (t) { return !inText[path(t.url)]; }))
        .concat(text.filter(function (d) { return !inTag[path(d.url)]; }))
        .slice(0, 20);
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
