/* 站内搜索 with the site's own full-text index, written by `python build.py` (builder/searchindex.py).
   The form stays hidden until the index listing has loaded; without JavaScript the page's <noscript>
   text points to the site map, and without an index a note does the same.

   The index (format version 1; docs/search-index.md describes it, builder/searchindex.py writes it):
   - Terms: the text is normalized (NFKC, then lower case) and split into runs of word characters
     (0-9, a-z and the CJK ideographs).  Every character of a run is a term, and so is every pair of
     adjacent characters, so Chinese needs no word segmentation.  A query run of one character looks
     up that character; a longer run looks up its adjacent pairs; a notice must have every term.
   - search/index.json: {"version": 1, "shards": [{"name", "docs", "chars", "buckets"}, ...]}, shards
     newest first ("chars" over "docs", summed over the shards, is BM25's average length; "buckets",
     B, is the shard's number of bucket files).
   - search/<shard>/<h>.bin for h = 0 .. B - 1: the terms t = c1 << 16 | c2 (the code points of the
     two characters; c2 = 0 for one) whose hash (see bucketOf) modulo B is h: uint32 n, uint32 term[n]
     (ascending), uint32 start[n + 1], then uint16 doc[start[n]] and uint8 weight[start[n]] (count in
     the text + 10 x count in the title, capped); all integers little-endian.
   - search/<shard>/lengths.bin: uint32 length of each doc; docs-<k>.json: [url, title, date] of
     docs 128k .. 128k + 127 (url relative to the site root).
   A query fetches one bucket file per term and shard, ranks the notices that have every term by
   BM25, and fetches the docs chunks of the best 20 only, then their pages for the excerpts. */
(function () {
  "use strict";
  var form = document.querySelector("[data-search-form]");
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !status || !list) return;
  var siteRoot = new URL("./", document.baseURI);  // search.html sits at the site root

  var FORMAT = 1;
  var SHOWN = 20;       // results shown
  var CHUNK = 128;      // docs per docs-<k>.json
  var K1 = 1.2, B = 0.75;  // BM25
  var WINDOW = 90;      // excerpt length in characters
  var LEAD = 30;        // characters of the excerpt before the first hit

  function unavailable() {
    var note = document.querySelector("[data-search-unavailable]");
    if (note) note.hidden = false;
    form.hidden = true;
    status.textContent = "";
  }

  // Index files for the page's life (address -> promise of the parsed file); a failed fetch is forgotten.
  var bucketFiles = new Map(), lengthFiles = new Map(), docChunks = new Map();
  function cached(cache, path, parse) {
    var url = new URL(path, siteRoot).href;
    var hit = cache.get(url);
    if (!hit) {
      hit = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(url + ": HTTP " + response.status);
        return parse(response);
      });
      hit.catch(function () { cache.delete(url); });
      cache.set(url, hit);
    }
    return hit;
  }
  function invalid(what) { throw new Error("invalid search index: " + what); }

  var ready = fetch(new URL("search/index.json", siteRoot)).then(function (response) {
    if (!response.ok) throw new Error("no search index");
    return response.json();
  }).then(function (listing) {
    if (!listing || listing.version !== FORMAT || !Array.isArray(listing.shards) || !listing.shards.length) {
      invalid("search/index.json");
    }
    var docs = 0, chars = 0;
    var shards = listing.shards.map(function (s) {
      if (!s || typeof s.name !== "string" || !s.name || !(s.docs >= 0) || !(s.chars >= 0) || !(s.buckets >= 1)
          || s.buckets % 1) invalid("search/index.json");
      docs += s.docs;
      chars += s.chars;
      return { folder: "search/" + encodeURIComponent(s.name) + "/", buckets: s.buckets };
    });
    return { shards: shards, docs: docs, avg: docs && chars ? chars / docs : 1 };
  });

  // ---- terms (the same rule as builder/searchindex.py) ----

  function normalize(text) { return text.normalize("NFKC").toLowerCase(); }

  // Word characters are all in the BMP, so UTF-16 code units are code points here.
  function isWord(c) {
    return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x3400 && c <= 0x4dbf)
      || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff);
  }

  // The maximal runs of word characters of a normalized text.
  function runsOf(text) {
    var runs = [], start = -1;
    for (var i = 0; i <= text.length; i++) {
      var word = i < text.length && isWord(text.charCodeAt(i));
      if (word && start < 0) start = i;
      else if (!word && start >= 0) { runs.push(text.slice(start, i)); start = -1; }
    }
    return runs;
  }

  // The terms of a run as strings: the character of a one-character run, else its adjacent pairs.
  function runTerms(run) {
    if (run.length === 1) return [run];
    var terms = [];
    for (var i = 0; i + 1 < run.length; i++) terms.push(run.slice(i, i + 2));
    return terms;
  }

  // The bucket file of term t (c1 << 16 | c2): a 32-bit mix of t (multiplications modulo 2^32, like the
  // finalizer of MurmurHash3) modulo the shard's number of buckets.
  function bucketOf(t, buckets) {
    var h = Math.imul(t, 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    return h % buckets;
  }

  // ---- index files ----

  function bucketFile(shard, h) {
    return cached(bucketFiles, shard.folder + h + ".bin", function (r) { return r.arrayBuffer(); }).then(function (buf) {
      var view = new DataView(buf);
      var n = buf.byteLength >= 4 ? view.getUint32(0, true) : -1;
      var header = 4 * (2 * n + 2);
      if (n < 0 || header > buf.byteLength) invalid(shard.folder + h + ".bin");
      var postings = view.getUint32(header - 4, true);  // start[n]
      if (header + 3 * postings > buf.byteLength) invalid(shard.folder + h + ".bin");
      return { view: view, n: n, docs: header, weights: header + 2 * postings, postings: postings };
    });
  }

  // The postings of term t in a bucket file: {docs: Uint16Array, weights: Uint8Array}, or null.
  function lookUp(file, t) {
    var view = file.view, n = file.n, lo = 0, hi = n;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (view.getUint32(4 + 4 * mid, true) < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= n || view.getUint32(4 + 4 * lo, true) !== t) return null;
    var first = view.getUint32(4 + 4 * n + 4 * lo, true), end = view.getUint32(4 + 4 * n + 4 * lo + 4, true);
    if (end < first || end > file.postings) invalid("postings");
    var docs = new Uint16Array(end - first);
    for (var i = 0; i < docs.length; i++) docs[i] = view.getUint16(file.docs + 2 * (first + i), true);
    return { docs: docs, weights: new Uint8Array(view.buffer, view.byteOffset + file.weights + first, end - first) };
  }

  function lengthsOf(shard) {
    return cached(lengthFiles, shard.folder + "lengths.bin", function (r) { return r.arrayBuffer(); }).then(function (buf) {
      var view = new DataView(buf), lengths = new Uint32Array(buf.byteLength >>> 2);
      for (var i = 0; i < lengths.length; i++) lengths[i] = view.getUint32(4 * i, true);
      return lengths;
    });
  }

  function docChunk(shard, k) {
    return cached(docChunks, shard.folder + "docs-" + k + ".json", function (r) { return r.json(); });
  }

  // The docs of a shard that have every term, in doc order: {docs: [d...], weights: [[w per term]...]}.
  function intersect(postings) {
    var order = postings.map(function (p, j) { return j; }).sort(function (a, b) {
      return postings[a].docs.length - postings[b].docs.length;
    });
    var shortest = postings[order[0]], at = postings.map(function () { return 0; });
    var out = { docs: [], weights: [] };
    for (var i = 0; i < shortest.docs.length; i++) {
      var d = shortest.docs[i], row = [], all = true;
      for (var j = 0; j < postings.length && all; j++) {
        var p = postings[j];
        while (at[j] < p.docs.length && p.docs[at[j]] < d) at[j]++;
        if (at[j] < p.docs.length && p.docs[at[j]] === d) row[j] = p.weights[at[j]];
        else all = false;
      }
      if (all) { out.docs.push(d); out.weights.push(row); }
    }
    return out;
  }

  // Does hit a rank before hit b: higher score, then newer shard, then higher doc number.
  function before(score, shard, doc, b) {
    return score !== b.score ? score > b.score : shard !== b.shard ? shard < b.shard : doc > b.doc;
  }

  // The notices that have every term of a query: {total: how many, hits: the best SHOWN, best first,
  // [{url, title, date}]}.
  function search(index, query) {
    var terms = [], seen = {};
    runsOf(normalize(query)).forEach(function (run) {
      runTerms(run).forEach(function (t) {
        if (seen[t]) return;
        seen[t] = true;
        terms.push(t.charCodeAt(0) * 65536 + (t.length > 1 ? t.charCodeAt(1) : 0));  // c1 << 16 | c2, unsigned
      });
    });
    if (!terms.length) return Promise.resolve({ total: 0, hits: [] });
    return Promise.all(index.shards.map(function (shard) {
      return Promise.all(terms.map(function (t) {
        return bucketFile(shard, bucketOf(t, shard.buckets));
      })).then(function (files) {
        return terms.map(function (t, j) { return lookUp(files[j], t); });
      });
    })).then(function (found) {  // found[shard][term]: postings or null
      var idf = terms.map(function (t, j) {
        var df = 0;
        found.forEach(function (postings) { if (postings[j]) df += postings[j].docs.length; });
        return Math.log(1 + (index.docs - df + 0.5) / (df + 0.5));
      });
      var matches = found.map(function (postings) {
        return postings.indexOf(null) >= 0 ? null : intersect(postings);
      });
      return Promise.all(index.shards.map(function (shard, s) {
        return matches[s] && matches[s].docs.length ? lengthsOf(shard) : null;
      })).then(function (lengths) {
        var best = [], total = 0;
        matches.forEach(function (m, s) {
          if (!m) return;
          total += m.docs.length;
          for (var i = 0; i < m.docs.length; i++) {
            var d = m.docs[i];
            if (d >= lengths[s].length) invalid("doc " + d + " of " + index.shards[s].folder);
            var norm = K1 * (1 - B + B * lengths[s][d] / index.avg), score = 0;
            for (var j = 0; j < terms.length; j++) {
              var w = m.weights[i][j];
              score += idf[j] * w * (K1 + 1) / (w + norm);
            }
            if (best.length === SHOWN && !before(score, s, d, best[SHOWN - 1])) continue;
            var at = best.length;
            while (at > 0 && before(score, s, d, best[at - 1])) at--;
            best.splice(at, 0, { score: score, shard: s, doc: d });
            if (best.length > SHOWN) best.pop();
          }
        });
        return Promise.all(best.map(function (hit) {
          return docChunk(index.shards[hit.shard], Math.floor(hit.doc / CHUNK)).then(function (chunk) {
            var entry = Array.isArray(chunk) && chunk[hit.doc % CHUNK];
            var url = Array.isArray(entry) && typeof entry[0] === "string" && new URL(entry[0], siteRoot);
            if (!url || url.origin !== siteRoot.origin) invalid("docs of " + index.shards[hit.shard].folder);
            return { url: url.href, title: String(entry[1] || ""), date: entry[2] };
          });
        })).then(function (hits) { return { total: total, hits: hits }; });
      });
    });
  }

  // ---- excerpts ----

  var IGNORED = "[data-search-ignore], [data-pagefind-ignore]";
  var SKIPPED = /^(h1|script|style|template|noscript)$/;
  // Text on both sides of these is not one word (the same list as builder/searchindex.py).
  var BLOCK = /^(address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul|caption|button|time)$/;

  // The text of a notice page as indexed: its [data-search-body] element without the h1 and without
  // what is marked to be ignored, whitespace collapsed ("" when the page cannot be had).
  var pageTexts = new Map();
  function pageText(url) {
    if (!pageTexts.has(url)) pageTexts.set(url, fetch(url).then(function (response) {
      return response.ok ? response.text() : "";
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");  // inert: no scripts run, nothing loads
      var body = doc.querySelector("[data-search-body]") || doc.querySelector("[data-pagefind-body]");
      if (!body) return "";
      var parts = [];
      (function walk(node) {
        for (var child = node.firstChild; child; child = child.nextSibling) {
          if (child.nodeType === 3) parts.push(child.nodeValue);
          if (child.nodeType !== 1 || SKIPPED.test(child.localName) || child.matches(IGNORED)) continue;
          var block = BLOCK.test(child.localName);
          if (block) parts.push(" ");
          walk(child);
          if (block) parts.push(" ");
        }
      })(body);
      return parts.join("").replace(/\s+/g, " ").trim();
    }).catch(function () { return ""; }));
    return pageTexts.get(url);
  }

  var SEGMENT;  // a character with its combining marks, normalized together
  try { SEGMENT = new RegExp("[\\s\\S]\\p{M}*", "gu"); } catch (e) { SEGMENT = /[\uD800-\uDBFF][\uDC00-\uDFFF]|[\s\S]/g; }

  // The excerpt of a text for a query: {text, marks: [[start, end]...], cutStart, cutEnd}, the window of
  // about WINDOW characters around the first hit (of the whole query, else of its first run, else of
  // that run's first term), with every occurrence of the query and of its runs marked (of a run's
  // terms where the run itself is not in the window).
  // Matching is on the normalized text; from[i] / to[i] map its code unit i back to the original.
  function excerpt(text, query) {
    var norm = "", from = [], to = [], m;
    SEGMENT.lastIndex = 0;
    while ((m = SEGMENT.exec(text))) {
      var c = m[0].charCodeAt(0);
      var plain = m[0].length === 1 && ((c < 0x80 && !(c >= 0x41 && c <= 0x5a)) || (c >= 0x4e00 && c <= 0x9fff));
      var n = plain ? m[0] : normalize(m[0]);
      for (var k = 0; k < n.length; k++) { from.push(m.index); to.push(SEGMENT.lastIndex); }
      norm += n;
    }
    var q = normalize(query).replace(/\s+/g, " ").trim(), runs = runsOf(normalize(query));
    var tries = [q].concat(runs.length ? [runs[0], runTerms(runs[0])[0]] : []);
    var hit = -1;
    for (var t = 0; t < tries.length && hit < 0; t++) hit = tries[t] ? norm.indexOf(tries[t]) : -1;
    // the window, in original characters, aligned to segments
    var start = Math.max(0, hit < 0 ? 0 : from[hit] - LEAD), end = Math.min(text.length, start + WINDOW);
    start = Math.max(0, end - WINDOW);
    var a = 0, b;
    while (a < from.length && from[a] < start) a++;
    for (b = a; b < from.length && to[b] <= end; b++) { /* b: first normalized unit past the window */ }
    start = a < from.length ? from[a] : text.length;
    end = b > a ? to[b - 1] : start;
    var windowText = norm.slice(a, b), ranges = [];
    function mark(word) {
      var found = false;
      for (var i = windowText.indexOf(word); word && i >= 0; i = windowText.indexOf(word, i + 1)) {
        ranges.push([from[a + i], to[a + i + word.length - 1]]);
        found = true;
      }
      return found;
    }
    mark(q);
    runs.forEach(function (run) {
      if (!mark(run)) runTerms(run).forEach(mark);  // the run is not in the window: its pairs are
    });
    ranges.sort(function (x, y) { return x[0] - y[0]; });
    var marks = [];
    ranges.forEach(function (r) {
      var last = marks[marks.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else marks.push([r[0], r[1]]);
    });
    return { text: text.slice(start, end), marks: marks.map(function (r) { return [r[0] - start, r[1] - start]; }),
             cutStart: start > 0, cutEnd: end < text.length };
  }

  function excerptElement(ex) {
    var p = document.createElement("p");
    p.className = "search-excerpt";
    var pos = 0;
    function text(s) { if (s) p.appendChild(document.createTextNode(s)); }
    if (ex.cutStart) text("……");
    ex.marks.forEach(function (r) {
      text(ex.text.slice(pos, r[0]));
      var mark = document.createElement("mark");
      mark.textContent = ex.text.slice(r[0], r[1]);
      p.appendChild(mark);
      pos = r[1];
    });
    text(ex.text.slice(pos));
    if (ex.cutEnd) text("……");
    return p;
  }

  // ---- the page ----

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
        return { url: new URL(a.getAttribute("href"), page).href, title: a.textContent };
      });
    }).catch(function () { return []; });
  }

  // total: the notices found, of which results are the best SHOWN.
  function show(query, results, total) {
    list.textContent = "";
    results.forEach(function (data) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = data.url;
      a.textContent = data.title || data.url;
      li.appendChild(a);
      if (data.excerpt) li.appendChild(excerptElement(data.excerpt));
      list.appendChild(li);
    });
    status.textContent = results.length
      ? "“" + query + "”共找到 " + total + " 条结果" + (total > results.length ? "，显示最相关的 " + results.length + " 条" : "")
      : "没有找到与“" + query + "”相关的公告，请换个关键词，或通过网站地图查找。";
  }

  var latest = 0;  // a search finished after a newer one was started is not shown
  function run(query) {
    var ticket = ++latest, total = 0;
    list.textContent = "";
    if (!query) { status.textContent = "请输入搜索关键词。"; return; }
    status.textContent = "正在搜索……";
    Promise.all([
      ready.then(function (index) { return search(index, query); }),
      tagged(query)
    ]).then(function (found) {
      // Notices tagged with exactly this word come first (those also found in the text first of all),
      // then the other full-text hits, so a notice an editor tagged 疫情防控 leads even when another
      // mentions the words more often.
      var text = found[0].hits, tags = found[1];
      var inTag = {}, inText = {};
      tags.forEach(function (t) { inTag[path(t.url)] = true; });
      text.forEach(function (d) { inText[path(d.url)] = true; });
      var onlyTagged = tags.filter(function (t) { return !inText[path(t.url)]; });
      // A notice's tags are part of its indexed text, so a tagged notice not among the best SHOWN is
      // usually among the other text hits: counted once.
      total = Math.max(found[0].total, text.length + onlyTagged.length);
      return text.filter(function (d) { return inTag[path(d.url)]; })
        .concat(onlyTagged)
        .concat(text.filter(function (d) { return !inTag[path(d.url)]; }))
        .slice(0, SHOWN);
    }).then(function (results) {
      // The excerpts of every result shown, then the whole list at once.
      return Promise.all(results.map(function (data) {
        return pageText(data.url).then(function (text) {
          if (text) data.excerpt = excerpt(text, query);
          return data;
        });
      }));
    }).then(function (results) {
      if (ticket === latest) show(query, results, Math.max(total, results.length));
    }, function () {
      if (ticket === latest) unavailable();
    });
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
