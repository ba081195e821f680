/* netspec HTML report: draws the graph, the charts and the table from the JSON embedded in the
   page (netspec/report/html.py). Plain ES2019, no dependencies, nothing fetched. Text from the
   spec only ever enters the page through textContent and setAttribute, never as markup. */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("netspec-data").textContent);
  var SVGNS = "http://www.w3.org/2000/svg";
  var uid = 0;

  // ---- small helpers ------------------------------------------------------------------------

  function h(tag, attrs, kids) {
    var e = document.createElement(tag);
    setAll(e, attrs);
    add(e, kids);
    return e;
  }

  function sv(tag, attrs, kids) {
    var e = document.createElementNS(SVGNS, tag);
    setAll(e, attrs);
    add(e, kids);
    return e;
  }

  function setAll(e, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") e.textContent = String(v);
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, String(v));
    });
  }

  function add(e, kids) {
    if (kids === null || kids === undefined) return;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k === null || k === undefined || k === false) return;
      e.appendChild(typeof k === "string" || typeof k === "number" ? document.createTextNode(String(k)) : k);
    });
  }

  function threeDigits(x, base, suffixes, plain) {  // as netspec.report.units._three_digits
    if (Math.abs(x) < base) return Math.round(x) + plain;
    var i = -1;
    while (i + 1 < suffixes.length && Math.abs(x) >= base) { x /= base; i++; }
    var ax = Math.abs(x), text = x.toFixed(ax < 10 ? 2 : ax < 100 ? 1 : 0);
    if (Math.abs(parseFloat(text)) >= base && i + 1 < suffixes.length) { x /= base; i++; text = x.toFixed(2); }
    return text + suffixes[i];
  }
  function count(x) { return threeDigits(x, 1000, ["K", "M", "G", "T"], ""); }
  function bytes(x) { return threeDigits(x, 1024, [" KiB", " MiB", " GiB", " TiB"], " B"); }

  function seconds(t) {  // as netspec.report.units.seconds
    if (!t) return "0";
    var u = [[1e-9, "ns"], [1e-6, "\u00b5s"], [1e-3, "ms"], [1, "s"]], i = 0, k, text = "";
    for (k = u.length - 1; k >= 0; k--) if (Math.abs(t) >= u[k][0]) { i = k; break; }
    for (k = i; k <= i + 1; k++) {
      var j = Math.min(k, 3), x = t / u[j][0], ax = Math.abs(x);
      text = x.toFixed(ax < 10 ? 2 : ax < 100 ? 1 : 0);
      if (Math.abs(parseFloat(text)) < 1000 || k >= 3) return text + " " + u[j][1];
    }
    return text + " s";
  }
  function rate(x, unit) { return count(x) + " " + unit; }

  function exact(x) { return typeof x === "number" ? x.toLocaleString("en-US") : String(x); }
  function shape(s) { return s && s.length ? s.join("x") : "?"; }
  function pct(a, b) { return b ? (100 * a / b).toFixed(1) + "%" : "-"; }
  var BYTE_KEYS = {compulsory_bytes: 1, weight_bytes: 1, peak_activation_memory: 1};
  function human(key, v) { return BYTE_KEYS[key] ? bytes(v) : count(v); }
  var LABEL = {params: "params", maccs: "MACCs", flops: "FLOPs", memory_accesses: "memory accesses",
    compulsory_bytes: "compulsory traffic", weight_bytes: "weights", peak_activation_memory: "peak activation memory"};

  var RAMP = [[238, 242, 247], [254, 227, 145], [251, 140, 60], [215, 48, 31]];
  function ramp(t) {
    t = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
    var i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i, a = RAMP[i], b = RAMP[i + 1];
    return "rgb(" + [0, 1, 2].map(function (j) { return Math.round(a[j] + (b[j] - a[j]) * f); }).join(",") + ")";
  }
  function rampCss() {
    return "linear-gradient(to right," + [0, 0.33, 0.67, 1].map(ramp).join(",") + ")";
  }

  var BOUND_FILL = {compute: "rgb(125,170,235)", memory: "rgb(196,150,232)", none: "rgb(238,242,247)"};

  function boundFills(layers) {
    var mem = new Float64Array(layers.length + 1), cmp = new Float64Array(layers.length + 1);
    for (var i = 0; i < layers.length; i++) {
      var t = layers[i].latency || 0;
      mem[i + 1] = mem[i] + (layers[i].bound === "memory" ? t : 0);
      cmp[i + 1] = cmp[i] + (layers[i].bound === "compute" ? t : 0);
    }
    return [function (i) { return BOUND_FILL[layers[i].bound] || BOUND_FILL.none; }, function (g, grp) {
      var m = mem[grp.last + 1] - mem[grp.first], c = cmp[grp.last + 1] - cmp[grp.first];
      return m + c === 0 ? BOUND_FILL.none : (m > c ? BOUND_FILL.memory : BOUND_FILL.compute);
    }];
  }

  function boundLegend(legend) {
    legend.textContent = "";
    add(legend, ["bound (estimated): ", h("span", {"class": "sw", style: "background:" + BOUND_FILL.compute}), "compute ",
      h("span", {"class": "sw", style: "background:" + BOUND_FILL.memory}), "memory ",
      h("span", {"class": "sw", style: "background:" + BOUND_FILL.none}), "no kernel \u00b7 ",
      h("span", {"class": "sw", style: "border:2px solid #c62828"}), "over a per-layer budget"]);
  }

  function prefixSums(layers, key) {
    var out = new Float64Array(layers.length + 1);
    for (var i = 0; i < layers.length; i++) out[i + 1] = out[i] + (layers[i][key] || 0);
    return out;
  }

  // ---- the graph ----------------------------------------------------------------------------

  var NW = 184, NH = 40, IH = 30, PAD = 10, HEAD = 24, RG = 24, CG = 26, HW = 150;

  /* A pannable, zoomable drawing of one network: layers as nodes, block calls as groups that
     fold and unfold, edges for every input. Only what is in view is in the DOM. */
  function GraphPanel(host, net, view, opt) {
    var self = this;
    var L = net.layers, n = L.length, groups = view.groups, G = groups.length, N = n + G;
    var scopeOf = view.scope, rank = view.rank, col = view.column, edges = view.edges;
    var folded = new Uint8Array(G);
    var relX = new Float64Array(N), relY = new Float64Array(N), wd = new Float64Array(N), ht = new Float64Array(N);
    var absX = new Float64Array(N), absY = new Float64Array(N);
    var repG = new Int32Array(G);
    var inX = 0, totalW = 0, totalH = 0;
    var vis = [], boxes = [], lines = [], order = [], tops = null;
    var tx = 0, ty = 0, k = 1, selected = -2, frame = 0, stamp = 0;
    var cache = new Map();
    var marker = "arrow" + (++uid);
    var fillOf = opt.fill, groupFill = opt.groupFill;

    var svg = sv("svg", {"aria-label": "layer graph", role: "img"});
    var defs = sv("defs", null, sv("marker", {id: marker, viewBox: "0 0 8 8", refX: 7, refY: 4, markerWidth: 7,
      markerHeight: 7, markerUnits: "userSpaceOnUse", orient: "auto"}, sv("path", {d: "M0,0 L8,4 L0,8 z", fill: "#7d8898"})));
    var vp = sv("g"), gEdges = sv("g"), gBoxes = sv("g"), gNodes = sv("g");
    vp.appendChild(gBoxes); vp.appendChild(gEdges); vp.appendChild(gNodes);
    svg.appendChild(defs); svg.appendChild(vp);
    host.appendChild(svg);

    function sizeScope(children, top) {
      var colW = [], rankH = [], i, it, c, r;
      if (top) { colW[0] = NW; rankH[0] = IH; }
      for (i = 0; i < children.length; i++) {
        it = children[i]; c = col[it]; r = rank[it];
        colW[c] = Math.max(colW[c] || 0, wd[it]);
        rankH[r] = Math.max(rankH[r] || 0, ht[it]);
      }
      var colX = [], rankY = [], x = 0, y = 0;
      for (c = 0; c < colW.length; c++) { colX[c] = x; x += (colW[c] || 0) + CG; }
      for (r = 0; r < rankH.length; r++) { rankY[r] = y; y += (rankH[r] || 0) + RG; }
      for (i = 0; i < children.length; i++) {
        it = children[i]; c = col[it];
        relX[it] = colX[c] + ((colW[c] || 0) - wd[it]) / 2;
        relY[it] = rankY[rank[it]];
      }
      if (top) inX = (colW[0] - NW) / 2;
      return [Math.max(0, x - CG), Math.max(0, y - RG)];
    }

    function place(children, ox, oy) {
      for (var i = 0; i < children.length; i++) {
        var it = children[i];
        absX[it] = ox + relX[it]; absY[it] = oy + relY[it];
        if (it < n) vis.push(it);
        else if (folded[it - n]) vis.push(it);
        else { boxes.push(it - n); place(groups[it - n].children, absX[it] + PAD, absY[it] + HEAD); }
      }
    }

    function rep(i) {
      if (i < 0) return -1;
      var s = scopeOf[i];
      return s >= 0 && repG[s] >= 0 ? n + repG[s] : i;
    }

    function layout() {
      var g, i, sz;
      for (i = 0; i < n; i++) { wd[i] = NW; ht[i] = NH; }
      for (g = G - 1; g >= 0; g--) {
        if (folded[g]) { wd[n + g] = NW; ht[n + g] = NH; continue; }
        sz = sizeScope(groups[g].children, false);
        wd[n + g] = Math.max(sz[0] + 2 * PAD, HW);
        ht[n + g] = sz[1] + HEAD + PAD;
      }
      sz = sizeScope(view.top, true);
      totalW = Math.max(sz[0], NW); totalH = sz[1];
      for (g = 0; g < G; g++) {
        var p = groups[g].parent;
        repG[g] = p >= 0 && repG[p] >= 0 ? repG[p] : (folded[g] ? g : -1);
      }
      vis = []; boxes = [];
      place(view.top, 0, 0);
      order = vis.slice().sort(function (a, b) { return absY[a] - absY[b]; });
      tops = new Float64Array(order.length);
      for (i = 0; i < order.length; i++) tops[i] = absY[order[i]];
      routeEdges();
      stamp++;
      cache.forEach(function (e) { e.remove(); });
      cache.clear();
    }

    function box(it) {  // x, y, w, h of a drawn node (-1: the network input)
      if (it === -1) return [inX, 0, NW, IH];
      return [absX[it], absY[it], NW, NH];
    }

    function routeEdges() {
      var seen = new Set(), e, a, b, key;
      lines = [];
      for (e = 0; e < edges.length; e += 2) {
        a = rep(edges[e]); b = rep(edges[e + 1]);
        if (a === b) continue;
        key = (a + 1) * (N + 2) + b;
        if (seen.has(key)) continue;
        seen.add(key);
        lines.push(route(a, b, lines.length));
      }
    }

    function route(a, b, idx) {
      var A = box(a), B = box(b);
      var x1 = A[0] + NW / 2, y1 = A[1] + A[3], x2 = B[0] + NW / 2, y2 = B[1];
      var lo = Math.min(x1, x2) - 8, hi = Math.max(x1, x2) + 8, right = -Infinity;
      var s = lowerBound(tops, y1), steps = 0;
      for (; s < order.length && tops[s] < y2 - 1 && steps < 800; s++, steps++) {
        var it = order[s];
        if (it === a || it === b) continue;
        var X = absX[it];
        if (X < hi && X + NW > lo) right = Math.max(right, X + NW);
      }
      if (steps >= 800) right = Math.max(right, hi + NW);
      var d, bx0 = Math.min(x1, x2), bx1 = Math.max(x1, x2);
      if (right > -Infinity && y2 - y1 > 60) {
        var xd = right + 12 + (idx % 4) * 5;
        d = "M" + x1 + "," + y1 + " C" + x1 + "," + (y1 + 18) + " " + xd + "," + (y1 + 6) + " " + xd + "," + (y1 + 30) +
          " L" + xd + "," + (y2 - 30) + " C" + xd + "," + (y2 - 6) + " " + x2 + "," + (y2 - 18) + " " + x2 + "," + y2;
        bx1 = xd;
      } else {
        var dy = Math.max(12, (y2 - y1) / 2);
        d = "M" + x1 + "," + y1 + " C" + x1 + "," + (y1 + dy) + " " + x2 + "," + (y2 - dy) + " " + x2 + "," + y2;
      }
      return {a: a, b: b, d: d, x0: bx0, x1: bx1, y0: Math.min(y1, y2), y1: Math.max(y1, y2)};
    }

    function lowerBound(arr, v) {
      var lo = 0, hi = arr.length;
      while (lo < hi) { var m = (lo + hi) >> 1; if (arr[m] < v) lo = m + 1; else hi = m; }
      return lo;
    }

    function label(text, max, keepStart) {  // a name keeps its end (the layer), a description its start
      if (text.length <= max) return text;
      return keepStart ? text.slice(0, max - 1) + "\u2026" : "\u2026" + text.slice(text.length - max + 1);
    }

    function makeNode(it) {
      var B = box(it), g, cls = "node", fill, name, sub, titleText;
      if (it === -1) {
        cls += " input"; fill = "#e9edf3"; name = "input"; sub = shape(net.input); titleText = "network input " + sub;
      } else if (it < n) {
        var layer = L[it];
        fill = fillOf(it);
        name = layer.name; sub = layer.type + " \u00b7 " + shape(layer.output); titleText = layer.name;
        if (view.over[it]) cls += " over";
        if (opt.cls) cls += opt.cls(it);
        if (it === selected) cls += " selected";
      } else {
        var grp = groups[it - n], m = grp.last - grp.first + 1;
        cls += " group"; fill = groupFill(it - n);
        name = "+ " + grp.id; sub = grp.block + " \u00b7 " + m + " layer" + (m === 1 ? "" : "s") + " \u00b7 " + count(opt.sum("maccs", grp.first, grp.last)) + " MACCs";
        titleText = grp.id + ": a call of block " + grp.block + " (folded; click to unfold)";
        if (opt.groupCls) cls += opt.groupCls(it - n);
      }
      if (isDark(fill)) cls += " dark";
      g = sv("g", {"class": cls, transform: "translate(" + B[0] + "," + B[1] + ")"});
      if (it >= 0 && it < n) { g.setAttribute("data-layer", L[it].name); g.setAttribute("data-index", it); }
      if (it >= n) g.setAttribute("data-group", groups[it - n].id);
      g.appendChild(sv("title", {text: titleText}));
      g.appendChild(sv("rect", {width: NW, height: B[3], rx: 5, fill: fill}));
      g.appendChild(sv("text", {x: 8, y: it === -1 ? 19 : 16, text: it === -1 ? "input \u00b7 " + sub : label(name, 26)}));
      if (it !== -1) g.appendChild(sv("text", {"class": "sub", x: 8, y: 31, text: label(sub, 31, true)}));
      if (it >= 0 && (it < n ? view.over[it] : opt.groupOver(it - n))) {
        g.appendChild(sv("text", {"class": "warn", x: NW - 14, y: 16, text: "!"}));
      }
      return g;
    }

    function isDark(fill) {
      var m = /rgb\((\d+),(\d+),(\d+)\)/.exec(fill);
      return !!m && (0.299 * m[1] + 0.587 * m[2] + 0.114 * m[3]) < 140;
    }

    function makeBox(g) {
      var it = n + g, grp = groups[g];
      var e = sv("g", {"class": "box", "data-box": grp.id, transform: "translate(" + absX[it] + "," + absY[it] + ")"});
      e.appendChild(sv("rect", {"class": "frame", width: wd[it], height: ht[it], rx: 7}));
      var head = sv("g", {"class": "head", "data-fold": g});
      head.appendChild(sv("title", {text: grp.id + ": a call of block " + grp.block + " (click to fold)"}));
      head.appendChild(sv("rect", {width: wd[it], height: HEAD - 4, fill: "transparent"}));
      head.appendChild(sv("text", {x: 8, y: 15, text: "\u2212 " + label(grp.id + " \u00b7 " + grp.block, Math.floor(wd[it] / 7.5))}));
      e.appendChild(head);
      return e;
    }

    function keep(key, make, parent) {
      var e = cache.get(key);
      if (!e) { e = make(); cache.set(key, e); parent.appendChild(e); }
      e._s = frame;
    }

    function render() {
      frame++;
      var W = svg.clientWidth || 800, H = svg.clientHeight || 600;
      var x0 = -tx / k - 60, y0 = -ty / k - 60, x1 = (W - tx) / k + 60, y1 = (H - ty) / k + 60, i, it;
      vp.setAttribute("transform", "translate(" + tx + "," + ty + ") scale(" + k + ")");
      svg.classList.toggle("lod", k < 0.4);
      for (i = 0; i < boxes.length; i++) {
        it = n + boxes[i];
        if (absX[it] < x1 && absX[it] + wd[it] > x0 && absY[it] < y1 && absY[it] + ht[it] > y0) {
          keep("b" + boxes[i], makeBox.bind(null, boxes[i]), gBoxes);
        }
      }
      if (inX < x1 && inX + NW > x0 && 0 < y1 && IH > y0) keep("n-1", makeNode.bind(null, -1), gNodes);
      var s = lowerBound(tops, y0 - NH);
      for (; s < order.length && tops[s] < y1; s++) {
        it = order[s];
        if (absX[it] < x1 && absX[it] + NW > x0) keep("n" + it, makeNode.bind(null, it), gNodes);
      }
      for (i = 0; i < lines.length; i++) {
        var ln = lines[i];
        if (ln.x0 < x1 && ln.x1 > x0 && ln.y0 < y1 && ln.y1 > y0) keep("e" + i, makeEdge.bind(null, ln), gEdges);
      }
      cache.forEach(function (e, key) { if (e._s !== frame) { e.remove(); cache.delete(key); } });
    }

    function makeEdge(ln) {
      var hot = selected >= 0 && (ln.a === rep(selected) || ln.b === rep(selected));
      return sv("path", {"class": hot ? "edge hot" : "edge", d: ln.d, "marker-end": "url(#" + marker + ")"});
    }

    function schedule() {
      if (schedule.pending) return;
      schedule.pending = true;
      requestAnimationFrame(function () { schedule.pending = false; render(); });
    }

    function zoomAt(f, cx, cy) {
      var nk = Math.max(0.02, Math.min(3, k * f));
      tx = cx - (cx - tx) * nk / k; ty = cy - (cy - ty) * nk / k; k = nk;
      schedule();
    }

    self.fit = function () {
      var W = svg.clientWidth || 800, H = svg.clientHeight || 600;
      k = Math.max(0.02, Math.min(1.2, (W - 40) / totalW, (H - 40) / (totalH + 1)));
      tx = (W - totalW * k) / 2; ty = 20;
      schedule();
    };

    self.fitWidth = function () {
      var W = svg.clientWidth || 800;
      k = Math.max(0.3, Math.min(1, (W - 40) / totalW));
      tx = Math.max(20, (W - totalW * k) / 2); ty = 16;
      schedule();
    };

    self.zoom = function (f) { zoomAt(f, (svg.clientWidth || 800) / 2, (svg.clientHeight || 600) / 2); };

    self.foldAll = function (on) {
      folded.fill(on ? 1 : 0);
      layout(); self.fitWidth();
    };

    self.setFill = function (fill, gfill) { fillOf = fill; groupFill = gfill; stamp++; cache.forEach(function (e) { e.remove(); }); cache.clear(); schedule(); };

    self.select = function (i, center) {
      var changed = false;
      if (i >= 0) {
        for (var s = scopeOf[i]; s >= 0; s = groups[s].parent) if (folded[s]) { folded[s] = 0; changed = true; }
      }
      selected = i;
      if (changed) layout();
      else { cache.forEach(function (e) { e.remove(); }); cache.clear(); }
      if (center && i >= 0) {
        var W = svg.clientWidth || 800, H = svg.clientHeight || 600;
        if (k < 0.6) k = 0.8;
        tx = W / 2 - (absX[i] + NW / 2) * k; ty = H / 3 - absY[i] * k;
      }
      schedule();
    };

    self.visibleLayers = function () { return vis.filter(function (it) { return it < n; }).length; };

    // Pointer: drag pans, a click picks, two fingers pinch; the wheel pans, ctrl + wheel zooms.
    var pointers = new Map(), start = null, moved = false, pinch = null;
    svg.addEventListener("pointerdown", function (ev) {
      pointers.set(ev.pointerId, [ev.clientX, ev.clientY]);
      if (pointers.size === 1) { start = [ev.clientX, ev.clientY, tx, ty]; moved = false; }
      if (pointers.size === 2) {
        var p = Array.from(pointers.values());
        pinch = [Math.hypot(p[0][0] - p[1][0], p[0][1] - p[1][1]), k];
        moved = true;
      }
    });
    svg.addEventListener("pointermove", function (ev) {
      if (!pointers.has(ev.pointerId)) return;
      pointers.set(ev.pointerId, [ev.clientX, ev.clientY]);
      if (pointers.size === 2 && pinch) {
        var p = Array.from(pointers.values()), r = svg.getBoundingClientRect();
        var d = Math.hypot(p[0][0] - p[1][0], p[0][1] - p[1][1]);
        zoomAt(pinch[1] * d / pinch[0] / k, (p[0][0] + p[1][0]) / 2 - r.left, (p[0][1] + p[1][1]) / 2 - r.top);
        return;
      }
      if (!start) return;
      var dx = ev.clientX - start[0], dy = ev.clientY - start[1];
      if (!moved && Math.abs(dx) + Math.abs(dy) > 4) { moved = true; svg.setPointerCapture(ev.pointerId); svg.classList.add("dragging"); }
      if (moved) { tx = start[2] + dx; ty = start[3] + dy; schedule(); }
    });
    function up(ev) {
      pointers.delete(ev.pointerId);
      if (pointers.size < 2) pinch = null;
      if (pointers.size === 0) { start = null; svg.classList.remove("dragging"); }
    }
    svg.addEventListener("pointerup", function (ev) {
      var wasClick = !moved && pointers.size === 1;
      up(ev);
      if (!wasClick) return;
      var t = ev.target.closest ? ev.target.closest("g.node, g.head") : null;
      if (!t) return;
      if (t.hasAttribute("data-fold")) { folded[+t.getAttribute("data-fold")] = 1; layout(); schedule(); return; }
      if (t.hasAttribute("data-group")) {
        var g = groups.findIndex(function (x) { return x.id === t.getAttribute("data-group"); });
        if (g >= 0) { folded[g] = 0; layout(); schedule(); }
        return;
      }
      if (t.hasAttribute("data-index")) opt.onSelect(+t.getAttribute("data-index"), "graph");
    });
    svg.addEventListener("pointercancel", up);
    svg.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      if (ev.ctrlKey || ev.metaKey) {
        var r = svg.getBoundingClientRect();
        zoomAt(Math.exp(-ev.deltaY * 0.002), ev.clientX - r.left, ev.clientY - r.top);
      } else { tx -= ev.deltaX; ty -= ev.deltaY; schedule(); }
    }, {passive: false});
    window.addEventListener("resize", schedule);

    if (opt.folded) folded.fill(1);
    layout();
  }

  function graphSection(host, net, view, opt) {
    var wrap = h("div", {"class": "graph-wrap"});
    var panel;
    var bar = h("div", {"class": "toolbar"}, [
      h("button", {type: "button", text: "Fit", title: "Fit the whole graph", onclick: function () { panel.fit(); }}),
      h("button", {type: "button", text: "+", title: "Zoom in (ctrl + wheel)", onclick: function () { panel.zoom(1.25); }}),
      h("button", {type: "button", text: "\u2212", title: "Zoom out", onclick: function () { panel.zoom(0.8); }}),
      h("button", {type: "button", text: "Unfold all", "data-action": "unfold", onclick: function () { panel.foldAll(false); }}),
      h("button", {type: "button", text: "Fold all", "data-action": "fold", onclick: function () { panel.foldAll(true); }}),
      opt.modes ? h("select", {"aria-label": "colour by", onchange: function (ev) { opt.onMode(ev.target.value, legend); }},
        opt.modes.map(function (m) { return h("option", {value: m[0], text: "colour: " + m[1]}); })) : null
    ]);
    var legend = h("span", {"class": "legend"});
    bar.appendChild(legend);
    host.appendChild(bar);
    host.appendChild(wrap);
    panel = new GraphPanel(wrap, net, view, opt);
    if (opt.onMode) opt.onMode(opt.modes[0][0], legend);
    return panel;
  }

  function shareFill(layers, key) {
    var max = 0, i;
    for (i = 0; i < layers.length; i++) max = Math.max(max, layers[i][key] || 0);
    return function (i) { return max ? ramp(Math.sqrt((layers[i][key] || 0) / max)) : ramp(0); };
  }

  function rampLegend(legend, what) {
    legend.textContent = "";
    add(legend, [what + ": low", h("span", {"class": "ramp", style: "background:" + rampCss()}), "high", " \u00b7 ",
      h("span", {"class": "sw", style: "border:2px solid #c62828"}), "over a per-layer budget"]);
  }

  // ---- details ------------------------------------------------------------------------------

  function detailsOf(net, view, i, pick, extra) {
    var L = net.layers, layer = L[i], t = net.totals;
    var box = h("div", {"class": "details"});
    box.appendChild(h("h3", {text: layer.name}));
    box.appendChild(h("div", {"class": "muted", text: "#" + i + " \u00b7 " + layer.type + " \u00b7 output " + shape(layer.output)}));
    var dl = h("dl");
    function row(k, v) { dl.appendChild(h("dt", {text: k})); dl.appendChild(h("dd", null, v)); }
    row("inputs", layer.inputs.map(function (name, j) {
      return [j ? ", " : "", name === "input" ? h("span", {text: "input"}) :
        h("a", {text: name, onclick: function () { pick(indexOf(net, name)); }})];
    }).reduce(function (a, b) { return a.concat(b); }, []));
    var users = consumers(net, view, i);
    if (users.length) {
      row("read by", users.map(function (u, j) {
        return [j ? ", " : "", h("a", {text: L[u].name, onclick: function () { pick(u); }})];
      }).reduce(function (a, b) { return a.concat(b); }, []));
    }
    var src = layer.source;
    row("written at", "line " + src.line + ":" + src.column + " (" + src.path + ")" + src.calls.map(function (c) {
      return ", called at " + c.line + ":" + c.column + " (" + c.path + ")";
    }).join(""));
    var attrs = Object.keys(layer.attrs);
    if (attrs.length) row("attributes", attrs.map(function (a) { return a + ": " + JSON.stringify(layer.attrs[a]); }).join(", "));
    if (layer.fused.length) row("fused", layer.fused.join(", "));
    if (layer.note) row("note", layer.note);
    if (view.live) row("live memory", bytes(view.live[i]) + (net.totals.peak_layer === layer.name ? " (the peak)" : ""));
    row("share", pct(layer.maccs, t.maccs) + " of MACCs, " + pct(layer.params, t.params) + " of params");
    if (extra) extra(row);
    box.appendChild(dl);
    if (view.over[i]) {
      box.appendChild(h("div", {"class": "overnote", text: "over the per-layer budget: " + view.over[i].map(function (k) { return LABEL[k] || k; }).join(", ")}));
    }
    var keys = ["params", "maccs", "flops", "memory_accesses", "compulsory_bytes"];
    var parts = layer.parts.length > 1 ? layer.parts : [];
    var tb = h("table", null, h("tr", null, [h("th", {text: ""})].concat(parts.map(function (p) {
      return h("th", {text: p.label});
    })).concat([h("th", {text: "layer"})])));
    keys.forEach(function (k) {
      tb.appendChild(h("tr", null, [h("td", {text: k === "compulsory_bytes" ? "bytes" : k === "memory_accesses" ? "mem. accesses" : LABEL[k]})]
        .concat(parts.map(function (p) { return h("td", {text: human(k, p[k]), title: exact(p[k])}); }))
        .concat([h("td", {text: exact(layer[k]), title: human(k, layer[k])})])));
    });
    box.appendChild(h("div", {"class": "scrollx"}, tb));
    return box;
  }

  function indexOf(net, name) {
    if (!net._index) {
      net._index = new Map();
      net.layers.forEach(function (l, i) { net._index.set(l.name, i); });
    }
    var i = net._index.get(name);
    return i === undefined ? -1 : i;
  }

  function consumers(net, view, i) {
    if (!view._users) {
      var users = net.layers.map(function () { return []; }), e = view.edges;
      for (var j = 0; j < e.length; j += 2) if (e[j] >= 0) users[e[j]].push(e[j + 1]);
      view._users = users;
    }
    return view._users[i];
  }

  // ---- charts -------------------------------------------------------------------------------

  /* A per-layer series over the execution order, as bars or an area; more layers than pixels
     are drawn as the largest of each pixel's layers. */
  function SeriesChart(host, title, values, fmt, opt) {
    var self = this, box = h("div", {"class": "chart"});
    var tip = h("div", {"class": "tip"});
    box.appendChild(h("h3", {text: title}));
    host.appendChild(box);
    var svg = null, mark = -1, geo = null;
    var n = values.length;

    self.draw = function () {
      if (svg) svg.remove();
      var W = Math.max(240, box.clientWidth || 600), H = opt.height || 120, ml = 54, mr = 10, mt = 8, mb = 18;
      var pw = W - ml - mr, ph = H - mt - mb;
      var per = Math.max(1, Math.ceil(n / pw)), nb = Math.ceil(n / per), bw = pw / Math.max(nb, 1);
      var max = 0, i, b;
      for (i = 0; i < n; i++) if (values[i] > max) max = values[i];
      if (opt.limit && opt.limit > max) max = opt.limit;
      var top = max || 1, vb = new Float64Array(nb), arg = new Int32Array(nb);
      for (b = 0; b < nb; b++) {
        var best = -1, at = b * per;
        for (i = b * per; i < Math.min(n, (b + 1) * per); i++) if (values[i] > best) { best = values[i]; at = i; }
        vb[b] = Math.max(best, 0); arg[b] = at;
      }
      svg = sv("svg", {viewBox: "0 0 " + W + " " + H, height: H});
      svg.appendChild(sv("line", {"class": "axis", x1: ml, y1: mt + ph, x2: ml + pw, y2: mt + ph}));
      [0, 0.5, 1].forEach(function (f) {
        svg.appendChild(sv("text", {x: ml - 4, y: mt + ph * (1 - f) + 3, "text-anchor": "end", text: fmt(top * f)}));
      });
      svg.appendChild(sv("text", {x: ml, y: H - 3, text: "layer 0"}));
      svg.appendChild(sv("text", {x: ml + pw, y: H - 3, "text-anchor": "end", text: "layer " + (n - 1)}));
      var d = [];
      if (opt.area) {
        d.push("M" + ml + "," + (mt + ph));
        for (b = 0; b < nb; b++) {
          var y = mt + ph * (1 - vb[b] / top);
          d.push("L" + (ml + b * bw) + "," + y + " L" + (ml + (b + 1) * bw) + "," + y);
        }
        d.push("L" + (ml + pw) + "," + (mt + ph) + " Z");
        svg.appendChild(sv("path", {"class": "area", d: d.join(" ")}));
      } else {
        var gap = bw > 3 ? 1 : 0;
        for (b = 0; b < nb; b++) {
          if (vb[b] <= 0) continue;
          var hgt = Math.max(1, ph * vb[b] / top);
          d.push("M" + (ml + b * bw) + "," + (mt + ph) + "v" + (-hgt) + "h" + Math.max(0.6, bw - gap) + "v" + hgt + "z");
        }
        svg.appendChild(sv("path", {"class": "bars", d: d.join("")}));
      }
      if (opt.limit) {
        var ly = mt + ph * (1 - opt.limit / top);
        svg.appendChild(sv("line", {"class": "limit", x1: ml, x2: ml + pw, y1: ly, y2: ly}));
        svg.appendChild(sv("text", {x: ml + pw - 2, y: ly - 3, "text-anchor": "end", text: "budget " + fmt(opt.limit)}));
      }
      if (opt.peak !== undefined && opt.peak >= 0) {
        var px = ml + (Math.floor(opt.peak / per) + 0.5) * bw, py = mt + ph * (1 - values[opt.peak] / top);
        svg.appendChild(sv("circle", {"class": "peak", cx: px, cy: py, r: 4}));
        svg.appendChild(sv("text", {x: Math.min(px + 7, ml + pw - 4), y: Math.max(py + 4, mt + 10),
          "text-anchor": px > ml + pw * 0.6 ? "end" : "start", text: opt.peakText}));
      }
      var markLine = sv("line", {"class": "mark", y1: mt, y2: mt + ph, x1: -10, x2: -10});
      svg.appendChild(markLine);
      var hit = sv("rect", {x: ml, y: mt, width: pw, height: ph, fill: "transparent"});
      svg.appendChild(hit);
      geo = {ml: ml, bw: bw, per: per, nb: nb, arg: arg, markLine: markLine, W: W};
      function at(ev) {
        var r = svg.getBoundingClientRect(), x = (ev.clientX - r.left) * W / r.width;
        var b2 = Math.max(0, Math.min(nb - 1, Math.floor((x - ml) / bw)));
        return arg[b2];
      }
      hit.addEventListener("mousemove", function (ev) {
        var i2 = at(ev);
        tip.textContent = opt.name(i2) + ": " + fmt(values[i2]);
        tip.style.display = "block";
        var r = box.getBoundingClientRect();
        tip.style.left = Math.min(ev.clientX - r.left + 10, r.width - 180) + "px";
        tip.style.top = (ev.clientY - r.top - 28) + "px";
      });
      hit.addEventListener("mouseleave", function () { tip.style.display = "none"; });
      hit.addEventListener("click", function (ev) { opt.onPick(at(ev)); });
      box.appendChild(svg);
      box.appendChild(tip);
      self.mark(mark);
    };

    self.mark = function (i) {
      mark = i;
      if (!geo) return;
      var x = i < 0 ? -10 : geo.ml + (Math.floor(i / geo.per) + 0.5) * geo.bw;
      geo.markLine.setAttribute("x1", x); geo.markLine.setAttribute("x2", x);
    };
  }

  /* The roofline of the device (--device): arithmetic intensity (FLOPs per compulsory byte) against
     the throughput each layer attains in the estimate (FLOPs / latency), log-log, with the memory
     roof (bandwidth x intensity) and the compute roof (the dtype's peak). */
  function Roofline(host, net, pick) {
    var self = this, box = h("div", {"class": "chart roofline"}), tip = h("div", {"class": "tip"});
    var dev = net.device, L = net.layers, pts = [], mark = -1, svg = null, geo = null;
    box.appendChild(h("h3", {text: "Roofline on " + dev.name + " (" + dev.dtype + "): one point per layer"}));
    host.appendChild(box);
    L.forEach(function (l, i) {
      if (l.flops > 0 && l.compulsory_bytes > 0 && l.latency > 0) {
        pts.push([i, l.flops / l.compulsory_bytes, l.flops / l.latency, l.bound]);
      }
    });
    function log(v) { return Math.log(v) / Math.LN10; }
    function tick(v) { return v >= 1 ? count(v) : String(+v.toPrecision(1)); }

    self.draw = function () {
      if (svg) svg.remove();
      var W = Math.max(280, box.clientWidth || 600), H = 300, ml = 62, mr = 12, mt = 10, mb = 34;
      var pw = W - ml - mr, ph = H - mt - mb, peak = dev.peak_flops, bw = dev.bandwidth;
      var ridge = peak / bw, xs = pts.map(function (p) { return p[1]; }), ys = pts.map(function (p) { return p[2]; });
      var x0 = log(Math.min.apply(null, xs.concat([ridge]))) - 0.3, x1 = log(Math.max.apply(null, xs.concat([ridge]))) + 0.3;
      var y1 = log(peak) + 0.3, y0 = Math.min(log(Math.min.apply(null, ys.concat([peak]))), y1 - 1) - 0.3;
      function X(v) { return ml + pw * (log(v) - x0) / (x1 - x0); }
      function Y(v) { return mt + ph * (1 - (log(v) - y0) / (y1 - y0)); }
      svg = sv("svg", {viewBox: "0 0 " + W + " " + H, height: H});
      svg.appendChild(sv("line", {"class": "axis", x1: ml, y1: mt + ph, x2: ml + pw, y2: mt + ph}));
      svg.appendChild(sv("line", {"class": "axis", x1: ml, y1: mt, x2: ml, y2: mt + ph}));
      for (var k = Math.ceil(x0); k <= Math.floor(x1); k++) {
        svg.appendChild(sv("text", {x: X(Math.pow(10, k)), y: mt + ph + 13, "text-anchor": "middle", text: tick(Math.pow(10, k))}));
      }
      for (k = Math.ceil(y0); k <= Math.floor(y1); k++) {
        svg.appendChild(sv("text", {x: ml - 4, y: Y(Math.pow(10, k)) + 3, "text-anchor": "end", text: tick(Math.pow(10, k))}));
      }
      svg.appendChild(sv("text", {x: ml + pw / 2, y: H - 3, "text-anchor": "middle", text: "arithmetic intensity (FLOPs per byte)"}));
      svg.appendChild(sv("text", {x: 10, y: mt + ph / 2, transform: "rotate(-90 10 " + (mt + ph / 2) + ")", "text-anchor": "middle", text: "attained FLOP/s"}));
      var lo = Math.pow(10, x0), hi = Math.pow(10, x1);
      svg.appendChild(sv("path", {"class": "roof", d: "M" + X(lo) + "," + Y(bw * lo) + " L" + X(ridge) + "," + Y(peak) + " L" + X(hi) + "," + Y(peak)}));
      svg.appendChild(sv("text", {x: X(hi) - 4, y: Y(peak) - 5, "text-anchor": "end", text: "peak " + rate(peak, "FLOP/s")}));
      svg.appendChild(sv("text", {x: X(lo) + 6, y: Y(bw * lo) - 6, text: rate(bw, "B/s")}));
      if (dev.on_chip_bandwidth) {
        var ob = dev.on_chip_bandwidth, oridge = peak / ob;
        svg.appendChild(sv("path", {"class": "roof on-chip", d: "M" + X(lo) + "," + Y(ob * lo) + " L" + X(oridge) + "," + Y(peak)}));
      }
      var d = {compute: [], memory: []};
      pts.forEach(function (p) {
        (d[p[3]] || d.memory).push("M" + (X(p[1]) - 2.5) + "," + (Y(p[2]) - 2.5) + "h5v5h-5z");
      });
      svg.appendChild(sv("path", {d: d.compute.join(""), fill: BOUND_FILL.compute, stroke: "#3a62a8", "stroke-width": 0.6}));
      svg.appendChild(sv("path", {d: d.memory.join(""), fill: BOUND_FILL.memory, stroke: "#7a4a9e", "stroke-width": 0.6}));
      var ring = sv("circle", {"class": "mark-ring", r: 7, cx: -20, cy: -20});
      svg.appendChild(ring);
      var hit = sv("rect", {x: ml, y: mt, width: pw, height: ph, fill: "transparent"});
      svg.appendChild(hit);
      geo = {X: X, Y: Y, ring: ring};
      function nearest(ev) {
        var r = svg.getBoundingClientRect(), mx = (ev.clientX - r.left) * W / r.width, my = (ev.clientY - r.top) * H / r.height;
        var best = null, bd = 100;
        pts.forEach(function (p) { var dx = X(p[1]) - mx, dy = Y(p[2]) - my, dd = dx * dx + dy * dy; if (dd < bd) { bd = dd; best = p; } });
        return best;
      }
      hit.addEventListener("mousemove", function (ev) {
        var p = nearest(ev);
        if (!p) { tip.style.display = "none"; return; }
        var l = L[p[0]];
        tip.textContent = l.name + ": " + p[1].toFixed(1) + " FLOPs/B, " + rate(p[2], "FLOP/s") + ", " + seconds(l.latency) + ", " + l.bound + "-bound";
        tip.style.display = "block";
        var rb = box.getBoundingClientRect();
        tip.style.left = Math.min(ev.clientX - rb.left + 10, rb.width - 260) + "px";
        tip.style.top = (ev.clientY - rb.top - 28) + "px";
      });
      hit.addEventListener("mouseleave", function () { tip.style.display = "none"; });
      hit.addEventListener("click", function (ev) { var p = nearest(ev); if (p) pick(p[0]); });
      box.appendChild(svg);
      box.appendChild(tip);
      self.mark(mark);
    };

    self.mark = function (i) {
      mark = i;
      if (!geo) return;
      var l = L[i];
      if (i < 0 || !l || !(l.flops > 0 && l.compulsory_bytes > 0 && l.latency > 0)) { geo.ring.setAttribute("cx", -20); return; }
      geo.ring.setAttribute("cx", geo.X(l.flops / l.compulsory_bytes));
      geo.ring.setAttribute("cy", geo.Y(l.flops / l.latency));
    };
  }

  function chartsSection(host, net, view, pick) {
    var L = net.layers, name = function (i) { return L[i].name; };
    var grid = h("div", {"class": "charts"});
    host.appendChild(grid);
    var charts = [];
    function series(key) { return L.map(function (l) { return l[key] || 0; }); }
    charts.push(new SeriesChart(grid, "MACCs per layer", series("maccs"), count, {name: name, onPick: pick}));
    charts.push(new SeriesChart(grid, "Parameters per layer", series("params"), count, {name: name, onPick: pick}));
    charts.push(new SeriesChart(grid, "Memory accesses per layer (elements)", series("memory_accesses"), count, {name: name, onPick: pick}));
    if (net.device) {
      charts.push(new SeriesChart(grid, "Latency per layer (estimated on " + net.device.name + ")", series("latency"), seconds,
        {name: name, onPick: pick}));
    }
    var peak = indexOf(net, net.totals.peak_layer);
    var limit = (net.budget || []).filter(function (b) { return b.key === "peak_activation_memory" && !b.per_layer; })[0];
    charts.push(new SeriesChart(grid, "Live activation memory over the execution order", view.live, bytes, {
      name: name, onPick: pick, area: true, height: 140, peak: peak, limit: limit ? limit.limit : 0,
      peakText: "peak " + bytes(net.totals.peak_activation_memory) + " at " + net.totals.peak_layer}));
    if (net.device) charts.push(new Roofline(grid, net, pick));
    function draw() { charts.forEach(function (c) { c.draw(); }); }
    var pending = null;
    window.addEventListener("resize", function () { clearTimeout(pending); pending = setTimeout(draw, 150); });
    draw();
    return {mark: function (i) { charts.forEach(function (c) { c.mark(i); }); }};
  }

  // ---- the table ----------------------------------------------------------------------------

  var RH = 24;

  /* The cells of `--layers` (netspec.report.table.rows), made here from the facts for the rows in
     view only; the columns come from the report (table.columns). tests/test_browser.py compares
     every cell with table.rows. */
  function tableCells(net, cols) {
    var L = net.layers, t = net.totals, prev = ["input"];
    var ranked = L.map(function (l) { return l.maccs; }).filter(function (m) { return m > 0; }).sort(function (a, b) { return b - a; });
    var bar = ranked.length ? ranked[Math.min(3, ranked.length) - 1] : Infinity;
    function inputShape(name) { var j = indexOf(net, name); return shape(j < 0 ? net.input : L[j].output); }
    function pctCell(m) { return m ? pct(m, t.maccs) : ""; }
    var layerCell = {
      "#": function (l, i) { return String(i); },
      layer: function (l) { return l.name + (l.maccs >= bar ? "*" : ""); },
      type: function (l) { return l.type; },
      input: function (l) { return l.inputs.map(inputShape).filter(function (x, j, a) { return a.indexOf(x) === j; }).join(", "); },
      output: function (l) { return shape(l.output); },
      latency: function (l) { return seconds(l.latency); },
      bound: function (l) { return l.bound || "-"; },
      "connected to": function (l, i) {
        var previous = i ? L[i - 1].name : "input";
        return l.inputs.length === 1 && l.inputs[0] === previous ? "" : l.inputs.join(", ");
      },
      note: function (l) { return l.note || ""; }
    };
    var partCell = {
      layer: function (p) { return "  \u2514 " + p.label; }, type: function (p) { return p.label; },
      params: function (p) { return count(p.params); }, MACCs: function (p) { return count(p.maccs); },
      FLOPs: function (p) { return count(p.flops); }, "mem.acc": function (p) { return count(p.memory_accesses); },
      "%MACCs": function (p) { return pctCell(p.maccs); }
    };
    var totalCell = {
      layer: "total", params: count(t.params), MACCs: count(t.maccs), FLOPs: count(t.flops),
      "mem.acc": count(t.memory_accesses), "%MACCs": t.maccs ? "100%" : "",
      latency: t.latency !== undefined ? seconds(t.latency) : "",
      bound: t.memory_bound_share !== undefined ? (100 * t.memory_bound_share).toFixed(0) + "% mem" : ""
    };
    return {
      row: function (i, k) {
        var l = L[i], p = l.parts[k];
        return cols.map(function (c) {
          if (k === 0 && layerCell[c]) return layerCell[c](l, i);
          if (partCell[c] && (k > 0 || !layerCell[c])) return partCell[c](p);
          return "";
        });
      },
      total: function () { return cols.map(function (c) { return totalCell[c] || ""; }); }
    };
  }

  /* The `--layers` table, sortable and filterable, with only the rows in view in the DOM. A
     layer's fused and separable parts stay under it. */
  function LayerTable(host, net, view, opt) {
    var self = this, T = view.table, cols = T.columns, L = net.layers;
    var cells = tableCells(net, cols);
    var units = [], rowL = [], rowK = [], i, k;
    for (i = 0; i < L.length; i++) {
      var u = {layer: i, rows: []};
      for (k = 0; k < Math.max(1, L[i].parts.length); k++) { u.rows.push(rowL.length); rowL.push(i); rowK.push(k); }
      units.push(u);
    }
    self.cells = function () {
      return rowL.map(function (l, r) { return cells.row(l, rowK[r]); }).concat([cells.total()]);
    };
    var numeric = T.numeric;
    var tmpl = cols.map(function (c, j) {
      return numeric[j] ? (c === "#" ? "44px" : "86px") : (c === "layer" ? "minmax(180px, 2.2fr)" : "minmax(90px, 1fr)");
    }).join(" ");
    var q = "", overOnly = false, sortCol = -1, desc = false, flat = [], rowUnit = [], sel = -1;
    var bar = h("div", {"class": "tablebar"});
    var search = h("input", {type: "search", placeholder: "filter by name or type", "aria-label": "filter layers",
      oninput: function (ev) { q = ev.target.value.toLowerCase(); rebuild(); }});
    bar.appendChild(search);
    var overCount = Object.keys(view.over).length;
    if (overCount) {
      bar.appendChild(h("label", null, [h("input", {type: "checkbox", "data-action": "over-only", onchange: function (ev) { overOnly = ev.target.checked; rebuild(); }}),
        " only the " + overCount + " layer" + (overCount === 1 ? "" : "s") + " over a per-layer budget"]));
    }
    var info = h("span", {"class": "muted"});
    bar.appendChild(info);
    host.appendChild(bar);
    var scroll = h("div", {"class": "tv-scroll"}), tv = h("div", {"class": "tv", style: "--cols:" + tmpl});
    var head = h("div", {"class": "row head", role: "row"});
    cols.forEach(function (c, j) {
      head.appendChild(h("div", {"class": numeric[j] ? "num" : null, role: "columnheader", text: c, title: "sort by " + c,
        onclick: function () { if (sortCol === j) desc = !desc; else { sortCol = j; desc = numeric[j] && c !== "#"; } rebuild(); paintHead(); }}));
    });
    tv.appendChild(head);
    tv.appendChild(rowEl(-1, "total"));
    var body = h("div", {"class": "body", role: "rowgroup"}), spacer = h("div");
    body.appendChild(spacer);
    tv.appendChild(body);
    scroll.appendChild(tv);
    host.appendChild(scroll);
    body.addEventListener("scroll", paint);

    function paintHead() {
      Array.prototype.forEach.call(head.children, function (e, j) {
        e.textContent = cols[j] + (j === sortCol ? (desc ? " \u25bc" : " \u25b2") : "");
      });
    }

    function rowEl(r, cls) {
      var e = h("div", {"class": "row " + cls, role: "row"});
      (r < 0 ? cells.total() : cells.row(rowL[r], rowK[r])).forEach(function (c, j) {
        var attrs = {"class": numeric[j] ? "num" : null, text: c, title: c};
        if (cls === "total" && T.sort[cols[j]] && T.sort[cols[j]] !== "index" && cols[j] !== "%MACCs") {
          var key = T.sort[cols[j]];
          attrs.title = exact(view.exact[key]);
          attrs["data-key"] = key;
          attrs["data-exact"] = view.exact[key];
        }
        e.appendChild(h("div", attrs));
      });
      return e;
    }

    function keyOf(u) {
      var key = T.sort[cols[sortCol]];
      if (key === "index") return u.layer;
      if (key) return (L[u.layer].parts[0] || L[u.layer])[key] || 0;
      return String(cells.row(u.layer, 0)[sortCol]);
    }

    function rebuild() {
      var list = units.filter(function (u) {
        if (overOnly && !view.over[u.layer]) return false;
        if (!q) return true;
        var l = L[u.layer];
        return l.name.toLowerCase().indexOf(q) >= 0 || l.type.toLowerCase().indexOf(q) >= 0;
      });
      if (sortCol >= 0) {
        var keyed = list.map(function (u) { return [keyOf(u), u]; });
        keyed.sort(function (a, b) {
          var c = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1].layer - b[1].layer;
          return desc ? -c : c;
        });
        list = keyed.map(function (x) { return x[1]; });
      }
      flat = []; rowUnit = [];
      list.forEach(function (u) { u.rows.forEach(function (r) { flat.push(r); rowUnit.push(u.layer); }); });
      spacer.style.height = flat.length * RH + "px";
      info.textContent = list.length === units.length ? units.length + " layers" : list.length + " of " + units.length + " layers";
      body.textContent = ""; body.appendChild(spacer);
      paint();
    }

    var shown = new Map();
    function paint() {
      var first = Math.max(0, Math.floor(body.scrollTop / RH) - 8);
      var last = Math.min(flat.length, first + Math.ceil((body.clientHeight || 460) / RH) + 16);
      var keepKeys = new Set();
      for (var p = first; p < last; p++) {
        var r = flat[p], key = p + ":" + r;
        keepKeys.add(key);
        if (shown.has(key)) continue;
        var layer = rowUnit[p], kind = rowK[r] === 0 ? "layer" : "part";
        var cls = kind + (view.over[layer] && kind === "layer" ? " over" : "") + (layer === sel ? " sel" : "") +
          (opt.cls ? opt.cls(layer) : "");
        var e = rowEl(r, cls);
        e.style.top = p * RH + "px";
        if (kind === "layer") { e.setAttribute("data-layer-row", layer); e.addEventListener("click", opt.onSelect.bind(null, layer, "table")); }
        body.appendChild(e);
        shown.set(key, e);
      }
      shown.forEach(function (e, key) { if (!keepKeys.has(key)) { e.remove(); shown.delete(key); } });
    }

    self.select = function (layer, scrollTo) {
      sel = layer;
      shown.forEach(function (e) { e.remove(); });
      shown.clear();
      if (scrollTo) {
        var p = rowUnit.indexOf(layer);
        if (p >= 0) body.scrollTop = Math.max(0, p * RH - (body.clientHeight || 460) / 3);
      }
      paint();
    };
    rebuild();
  }

  // ---- pages --------------------------------------------------------------------------------

  function summarySection(main, file, net, view) {
    var t = net.totals, sec = h("section", {"class": "summary"});
    sec.appendChild(h("h2", {text: "Totals"}));
    var cards = h("div", {"class": "cards"});
    function card(k, v, x, title) {
      cards.appendChild(h("div", {"class": "card"}, [h("div", {"class": "k", text: k}),
        h("div", {"class": "v", text: v, title: title}), x ? h("div", {"class": "x", text: x}) : null]));
    }
    ["params", "maccs", "flops", "memory_accesses", "compulsory_bytes", "weight_bytes"].forEach(function (key) {
      card(LABEL[key], view.human[key], null, exact(view.exact[key]));
    });
    card("peak activation memory", view.human.peak_activation_memory, "at " + t.peak_layer, exact(view.exact.peak_activation_memory));
    card("arithmetic intensity", t.arithmetic_intensity.toFixed(1), "FLOPs per compulsory byte");
    card("layers", String(t.layers), "input " + shape(net.input) + " \u2192 output " + shape(net.output));
    card("batch \u00b7 dtype", net.batch + " \u00b7 " + net.dtype);
    if (net.device) {
      card("latency (estimate)", seconds(t.latency), "on " + net.device.name + " \u00b7 " + t.throughput.toFixed(1) +
        " samples/s \u00b7 " + (100 * t.memory_bound_share).toFixed(0) + "% memory-bound", net.device.title);
    }
    sec.appendChild(cards);
    if (net.budget.length) {
      var bl = h("div", {"class": "budgets"});
      net.budget.forEach(function (b, j) {
        var used = b.limit ? Math.min(100, 100 * b.actual / b.limit) : 100;
        bl.appendChild(h("div", {"class": "budget" + (b.ok ? "" : " over"), title: "set at " + b.origin}, [
          h("div", {text: "budget " + view.budget_text[j]}),
          h("div", {"class": "bar"}, h("i", {style: "width:" + used.toFixed(1) + "%"}))]));
      });
      sec.appendChild(bl);
    }
    main.appendChild(sec);
  }

  function diagnosticsSection(main, file) {
    if (!file.diagnostics.length) return;
    var sec = h("section", null, h("h2", {text: "Problems"}));
    var ul = h("ul", {"class": "diags"});
    file.diagnostics.forEach(function (d) {
      ul.appendChild(h("li", null, [d.line ? d.line + ":" + d.column + " " : "", h("span", {"class": d.severity, text: d.severity}),
        "[" + d.code + "] " + d.message]));
    });
    sec.appendChild(ul);
    main.appendChild(sec);
  }

  function checkPage(main, file) {
    diagnosticsSection(main, file);
    var net = file.network, view = file.view;
    if (!net || !view) {
      main.appendChild(h("section", null, h("p", {text: "No graph: the spec has errors (listed above)."})));
      return;
    }
    view.exact = view.exact || {};
    summarySection(main, file, net, view);
    var split = h("div", {"class": "split"});
    var gsec = h("section", {"class": "graph"}, h("h2", {text: "Graph"}));
    var dsec = h("section", {"class": "side"}, h("h2", {text: "Layer"}));
    var detail = h("div", {"class": "details"}, h("p", {"class": "muted", text: "Click a layer in the graph, a chart or the table."}));
    dsec.appendChild(detail);
    split.appendChild(gsec); split.appendChild(dsec);
    main.appendChild(split);
    var csec = h("section", {"class": "charts-sec"}, h("h2", {text: "Per layer"}));
    main.appendChild(csec);
    var tsec = h("section", {"class": "table-sec"}, h("h2", {text: "Layers"}));
    main.appendChild(tsec);
    var L = net.layers, graph, charts, table;
    var sum = {};
    function pick(i, from) {
      if (i < 0) return;
      graph.select(i, from !== "graph");
      table.select(i, from !== "table");
      charts.mark(i);
      detail.textContent = "";
      detail.appendChild(detailsOf(net, view, i, function (j) { pick(j, "details"); }));
    }
    function groupShare(key) {
      if (!sum[key]) sum[key] = prefixSums(L, key);
      var s = sum[key], max = 0;
      L.forEach(function (l) { max = Math.max(max, l[key] || 0); });
      return function (g) {
        var grp = view.groups[g], v = s[grp.last + 1] - s[grp.first];
        return max ? ramp(Math.sqrt(Math.min(1, v / max))) : ramp(0);
      };
    }
    var modes = [["maccs", "share of MACCs", "MACCs"], ["params", "share of params", "params"]];
    var fills = {maccs: [shareFill(L, "maccs"), groupShare("maccs")], params: [shareFill(L, "params"), groupShare("params")]};
    if (net.device) {  // with --device: bound first (the colouring), then share of latency
      var bf = boundFills(L);
      fills.bound = [bf[0], function (g) { return bf[1](g, view.groups[g]); }];
      fills.latency = [shareFill(L, "latency"), groupShare("latency")];
      modes.unshift(["bound", "compute/memory bound"]);
      modes.push(["latency", "share of latency", "latency"]);
    }
    var overPrefix = new Float64Array(L.length + 1);
    for (var i = 0; i < L.length; i++) overPrefix[i + 1] = overPrefix[i] + (view.over[i] ? 1 : 0);
    graph = graphSection(gsec, net, view, {
      fill: fills[modes[0][0]][0], groupFill: fills[modes[0][0]][1], folded: L.length > 300,
      sum: function (key, a, b) { if (!sum[key]) sum[key] = prefixSums(L, key); return sum[key][b + 1] - sum[key][a]; },
      groupOver: function (g) { var grp = view.groups[g]; return overPrefix[grp.last + 1] - overPrefix[grp.first] > 0; },
      onSelect: pick,
      modes: modes,
      onMode: function (m, legend) {
        if (graph) graph.setFill(fills[m][0], fills[m][1]);
        if (m === "bound") boundLegend(legend);
        else rampLegend(legend, modes.filter(function (x) { return x[0] === m; })[0][2]);
      }
    });
    charts = chartsSection(csec, net, view, function (i) { pick(i, "chart"); });
    table = new LayerTable(tsec, net, view, {onSelect: pick});
    graph.fitWidth();
    return {graph: graph, pick: pick, index: function (name) { return indexOf(net, name); }, tableCells: table.cells};
  }

  function header(title, sub, ok) {
    var top = h("header", {"class": "top"}, [h("h1", {text: title}),
      ok === null ? null : h("span", {"class": "badge " + (ok ? "ok" : "fail"), text: ok ? "ok" : "problems"}),
      h("span", {"class": "path", text: sub})]);
    document.body.appendChild(top);
    return top;
  }

  function startCheck() {
    var files = DATA.files, current = 0, main, top;
    function show(j) {
      current = j;
      if (main) main.remove();
      if (top) top.remove();
      var f = files[j];
      top = header("netspec \u00b7 " + (f.network ? f.network.name : "invalid spec"), f.path, f.ok);
      if (files.length > 1) {
        var select = h("select", {"aria-label": "spec file", onchange: function (ev) { show(+ev.target.value); }},
          files.map(function (x, i) { return h("option", {value: i, text: (x.ok ? "" : "\u2716 ") + x.path, selected: i === j ? "selected" : null}); }));
        top.appendChild(select);
      }
      main = h("main");
      document.body.appendChild(main);
      window.netspecReport = checkPage(main, f) || {};
    }
    show(0);
  }

  // ---- the diff page ------------------------------------------------------------------------

  var STATUS_FILL = {added: "rgb(215,240,217)", removed: "rgb(251,213,213)", changed: "rgb(255,236,179)",
    same: "rgb(246,247,249)"};

  function deltasSection(main, D) {
    var sec = h("section", {"class": "deltas-sec"}, h("h2", {text: "Totals"}));
    var tb = h("table", {"class": "deltas"}, h("tr", null, ["", "base", "head", "\u0394", "\u0394%"].map(function (x) { return h("th", {text: x}); })));
    Object.keys(D.totals).forEach(function (m) {
      var t = D.totals[m], d = t.head - t.base;
      var sign = d > 0 ? "+" : d < 0 ? "-" : "\u00b1";
      tb.appendChild(h("tr", {"data-metric": m}, [h("td", {text: LABEL[m] || m}),
        h("td", {text: t.human[0], title: exact(t.base), "data-exact": t.base}),
        h("td", {text: t.human[1], title: exact(t.head), "data-exact": t.head}),
        h("td", {"class": d > 0 ? "up" : d < 0 ? "down" : null, text: sign + t.human[2], title: exact(d), "data-delta": d}),
        h("td", {"class": d > 0 ? "up" : d < 0 ? "down" : null, text: t.base ? (100 * d / t.base >= 0 ? "+" : "") + (100 * d / t.base).toFixed(1) + "%" : (t.head ? "new" : "-")})]));
    });
    sec.appendChild(tb);
    var n = {added: 0, removed: 0, changed: 0};
    D.changes.forEach(function (c) { n[c.status]++; });
    sec.appendChild(h("p", null, [h("b", {text: "Layers: "}),
      h("span", {"class": "legend"}, [h("span", {"class": "sw", style: "background:" + STATUS_FILL.added + ";border:1px solid #2e7d32"}), n.added + " added  ",
        h("span", {"class": "sw", style: "background:" + STATUS_FILL.removed + ";border:1px solid #c62828"}), n.removed + " removed  ",
        h("span", {"class": "sw", style: "background:" + STATUS_FILL.changed + ";border:1px solid #d08700"}), n.changed + " changed"])]));
    sec.appendChild(h("p", {"class": "muted", text: "budget base: " + D.base.budget + " \u00b7 head: " + D.head.budget}));
    if (D.failures.length) {
      sec.appendChild(h("ul", {"class": "diags"}, D.failures.map(function (f) { return h("li", null, [h("span", {"class": "error", text: "fail "}), f]); })));
    }
    main.appendChild(sec);
  }

  function changesSection(main, D, pick) {
    var sec = h("section", {"class": "changes-sec"}, h("h2", {text: "Changed layers"}));
    if (!D.changes.length) { sec.appendChild(h("p", {"class": "muted", text: "No layer was added, removed or changed."})); main.appendChild(sec); return null; }
    var shown = D.changes.slice().sort(function (a, b) {
      return Math.abs(b.delta.maccs) - Math.abs(a.delta.maccs) || Math.abs(b.delta.params) - Math.abs(a.delta.params);
    });
    var tb = h("table", {"class": "deltas"}, h("tr", null, ["layer", "change", "\u0394 params", "\u0394 MACCs", "\u0394 mem.acc"].map(function (x) { return h("th", {text: x}); })));
    shown.slice(0, 500).forEach(function (c) {
      function dv(k) { var d = c.delta[k]; return h("td", {"class": d > 0 ? "up" : d < 0 ? "down" : null, text: (d > 0 ? "+" : d < 0 ? "-" : "") + count(Math.abs(d)), title: exact(d)}); }
      tb.appendChild(h("tr", {"class": "st-" + c.status, "data-change": c.name}, [
        h("td", null, h("a", {"class": "linkish", text: c.name, onclick: function () { pick(c.name); }})),
        h("td", {text: c.status}), dv("params"), dv("maccs"), dv("memory_accesses")]));
    });
    sec.appendChild(h("div", {"class": "tv-scroll changes"}, tb));
    if (shown.length > 500) sec.appendChild(h("p", {"class": "muted", text: "and " + (shown.length - 500) + " more (netspec diff -f json lists them all)"}));
    main.appendChild(sec);
    return shown[0].name;
  }

  function diffSide(host, side, which, statusOf, pick) {
    var sec = h("section", {"class": "side-" + which}, h("h2", null, [which + ": ", h("span", {"class": "muted", text: side.label})]));
    host.appendChild(sec);
    var f = side.file;
    if (!side.exists) { sec.appendChild(h("p", {"class": "muted", text: "absent: the spec does not exist on this side"})); return null; }
    if (!f || !f.network) { sec.appendChild(h("p", {"class": "muted", text: "invalid spec"})); return null; }
    var net = f.network, view = f.view, L = net.layers;
    view.exact = view.exact || {};
    var st = L.map(function (l) { return statusOf(l.name); });
    var hot = new Float64Array(L.length + 1);
    for (var i = 0; i < L.length; i++) hot[i + 1] = hot[i] + (st[i] === "same" ? 0 : 1);
    var sums = {};
    var fills = {
      change: [function (i) { return STATUS_FILL[st[i]]; },
        function (g) { var grp = view.groups[g]; return hot[grp.last + 1] - hot[grp.first] ? STATUS_FILL.changed : STATUS_FILL.same; }],
      maccs: [shareFill(L, "maccs"), function (g) {
        var grp = view.groups[g]; if (!sums.maccs) sums.maccs = prefixSums(L, "maccs");
        var max = 0; L.forEach(function (l) { max = Math.max(max, l.maccs); });
        return max ? ramp(Math.sqrt(Math.min(1, (sums.maccs[grp.last + 1] - sums.maccs[grp.first]) / max))) : ramp(0);
      }]
    };
    var panel = graphSection(sec, net, view, {
      fill: fills.change[0], groupFill: fills.change[1], folded: L.length > 300,
      sum: function (key, a, b) { if (!sums[key]) sums[key] = prefixSums(L, key); return sums[key][b + 1] - sums[key][a]; },
      groupOver: function () { return false; },
      cls: function (i) { return st[i] === "same" ? "" : " st-" + st[i]; },
      groupCls: function (g) { var grp = view.groups[g]; return hot[grp.last + 1] - hot[grp.first] ? " st-changed" : ""; },
      onSelect: function (i) { pick(L[i].name); },
      modes: [["change", "change"], ["maccs", "share of MACCs"]],
      onMode: function (m, legend) {
        if (panel) panel.setFill(fills[m][0], fills[m][1]);
        if (m === "maccs") rampLegend(legend, "MACCs");
        else {
          legend.textContent = "";
          ["added", "removed", "changed"].forEach(function (s) {
            add(legend, [h("span", {"class": "sw", style: "background:" + STATUS_FILL[s]}), s + " "]);
          });
        }
      }
    });
    return {panel: panel, net: net, view: view, sec: sec};
  }

  function diffPage(D) {
    var name = (D.head.file && D.head.file.network && D.head.file.network.name) || "";
    header("netspec diff" + (name ? " \u00b7 " + name : ""), D.base.label + " \u2192 " + D.head.label, D.ok);
    var main = h("main");
    document.body.appendChild(main);
    var status = {};
    D.changes.forEach(function (c) { status[c.name] = c.status; });
    function statusOf(n) { return status[n] || "same"; }
    deltasSection(main, D);
    var sides = h("div", {"class": "sides"});
    var detail = h("div", {"class": "details"}, h("p", {"class": "muted", text: "Click a layer in either graph or in the list."}));
    var views = {};
    function pick(layerName) {
      detail.textContent = "";
      ["base", "head"].forEach(function (w) {
        var s = views[w];
        var i = s ? indexOf(s.net, layerName) : -1;
        if (s) s.panel.select(i, true);
        if (i >= 0) {
          var box = h("div", null, h("div", {"class": "muted", text: w}));
          box.appendChild(detailsOf(s.net, s.view, i, function (j) { pick(s.net.layers[j].name); }));
          detail.appendChild(box);
        }
      });
      var c = status[layerName];
      if (c) detail.insertBefore(h("p", null, h("b", {"class": "st-" + c, text: c})), detail.firstChild);
    }
    var biggest = changesSection(main, D, pick);
    main.appendChild(sides);
    views.base = diffSide(sides, D.base, "base", statusOf, pick);
    views.head = diffSide(sides, D.head, "head", statusOf, pick);
    main.appendChild(h("section", {"class": "side"}, [h("h2", {text: "Layer"}), detail]));
    ["base", "head"].forEach(function (w) { if (views[w]) views[w].panel.fitWidth(); });
    if (biggest !== null) pick(biggest);  // open where the biggest change is
    window.netspecReport = {pick: pick};
  }

  // ---- the sweep page -----------------------------------------------------------------------

  var METRIC_FMT = {count: count, bytes: bytes, seconds: seconds,
    value: function (v) { return typeof v === "number" ? String(v) : String(v); }};

  function sweepPlot(host, D, xKey, yKey) {
    var W = 760, H = 440, L = 70, R = 20, T = 16, B = 46;
    var mx = D.metrics[xKey], my = D.metrics[yKey];
    var pts = D.rows.filter(function (r) { return r.ok && typeof r[xKey] === "number" && typeof r[yKey] === "number"; });
    var svg = sv("svg", {"class": "sweep-plot", viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img",
      "aria-label": my.label + " against " + mx.label});
    host.appendChild(svg);
    if (!pts.length) { svg.appendChild(sv("text", {x: L, y: T + 20, text: "no valid point to plot"})); return svg; }
    var lines = D.budget.filter(function (b) { return !b.per_layer && (b.field === xKey || b.field === yKey); });
    function range(key) {
      var lo = Infinity, hi = -Infinity;
      pts.forEach(function (r) { lo = Math.min(lo, r[key]); hi = Math.max(hi, r[key]); });
      lines.forEach(function (b) { if (b.field === key) { lo = Math.min(lo, b.limit); hi = Math.max(hi, b.limit); } });
      if (lo === hi) { lo -= 1; hi += 1; }
      var pad = (hi - lo) * 0.04;
      return [lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad];
    }
    var xr = range(xKey), yr = range(yKey);
    function X(v) { return L + (v - xr[0]) / (xr[1] - xr[0]) * (W - L - R); }
    function Y(v) { return H - B - (v - yr[0]) / (yr[1] - yr[0]) * (H - T - B); }
    var fx = METRIC_FMT[mx.kind], fy = METRIC_FMT[my.kind];
    svg.appendChild(sv("line", {x1: L, y1: H - B, x2: W - R, y2: H - B, "class": "axis"}));
    svg.appendChild(sv("line", {x1: L, y1: T, x2: L, y2: H - B, "class": "axis"}));
    for (var k = 0; k <= 4; k++) {
      var vx = xr[0] + (xr[1] - xr[0]) * k / 4, vy = yr[0] + (yr[1] - yr[0]) * k / 4;
      svg.appendChild(sv("text", {x: X(vx), y: H - B + 16, "text-anchor": "middle", "class": "tick", text: fx(vx)}));
      svg.appendChild(sv("text", {x: L - 6, y: Y(vy) + 4, "text-anchor": "end", "class": "tick", text: fy(vy)}));
    }
    svg.appendChild(sv("text", {x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", "class": "label", text: mx.label}));
    svg.appendChild(sv("text", {x: 14, y: (T + H - B) / 2, "text-anchor": "middle", "class": "label",
      transform: "rotate(-90 14 " + (T + H - B) / 2 + ")", text: my.label}));
    lines.forEach(function (b) {
      var text = b.key + " \u2264 " + b.limit_text;
      if (b.field === xKey) {
        svg.appendChild(sv("line", {x1: X(b.limit), y1: T, x2: X(b.limit), y2: H - B, "class": "budget"}));
        svg.appendChild(sv("text", {x: X(b.limit) + 4, y: T + 12, "class": "budget-label", text: text}));
      } else {
        svg.appendChild(sv("line", {x1: L, y1: Y(b.limit), x2: W - R, y2: Y(b.limit), "class": "budget"}));
        svg.appendChild(sv("text", {x: W - R - 4, y: Y(b.limit) - 4, "text-anchor": "end", "class": "budget-label", text: text}));
      }
    });
    var front = pts.filter(function (r) { return r.pareto; }).sort(function (a, b) { return a[xKey] - b[xKey] || a[yKey] - b[yKey]; });
    if (front.length > 1) {
      svg.appendChild(sv("polyline", {"class": "front", points: front.map(function (r) { return X(r[xKey]) + "," + Y(r[yKey]); }).join(" ")}));
    }
    pts.forEach(function (r) {
      var cls = "pt" + (r.pareto ? " pt-front" : "") + (r.fits === false ? " pt-over" : "") + (r.index === D.best ? " pt-best" : "");
      var tip = "#" + r.index + " " + D.swept.map(function (n) { return n + "=" + r.point[n]; }).join(" ") + "\n" +
        mx.label + " " + fx(r[xKey]) + ", " + my.label + " " + fy(r[yKey]) + (r.fits === false ? " (over the budget)" : "");
      svg.appendChild(sv("circle", {cx: X(r[xKey]), cy: Y(r[yKey]), r: r.index === D.best ? 6 : r.pareto ? 4.5 : 3,
        "class": cls, "data-index": r.index}, sv("title", {text: tip})));
    });
    return svg;
  }

  function sweepTable(host, D) {
    var cols = ["#"].concat(D.swept, ["params", "MACCs", "FLOPs", "peak mem", "weights"], D.device ? ["latency"] : [], ["fits"], D.pareto ? ["pareto"] : []);
    var shown = D.rows.length <= 2000 ? D.rows : D.rows.filter(function (r) { return r.pareto || r.index === D.best; });
    var sec = h("section", {"class": "sweep-table-sec"}, h("h2", {text: D.rows.length <= 2000 ? "Points" :
      "Points on the front (" + shown.length + " of " + D.rows.length + "; every point: -f csv or -f json)"}));
    var tb = h("table", {"class": "sweep-table"}, h("tr", null, cols.map(function (c) { return h("th", {text: c}); })));
    shown.forEach(function (r) {
      var cells = [r.index].concat(D.swept.map(function (n) { return r.point[n]; }));
      if (!r.ok) {
        tb.appendChild(h("tr", {"class": "bad"}, cells.map(function (c) { return h("td", {text: c}); }).concat(
          [h("td", {colspan: cols.length - cells.length, text: "error: " + r.diagnostic.text})])));
        return;
      }
      cells = cells.concat([count(r.params), count(r.maccs), count(r.flops), bytes(r.peak_activation_memory), bytes(r.weight_bytes)]);
      if (D.device) cells.push(r.latency === null ? "-" : seconds(r.latency));
      cells.push(r.fits ? "yes" : "no");
      if (D.pareto) cells.push(r.pareto ? "*" : "");
      tb.appendChild(h("tr", {"class": (r.fits ? "" : "over") + (r.index === D.best ? " best" : ""), "data-index": r.index},
        cells.map(function (c) { return h("td", {text: c}); })));
    });
    sec.appendChild(tb);
    host.appendChild(sec);
  }

  function sweepPage(D) {
    header("netspec sweep", D.spec, D.summary.valid > 0);
    var main = h("main", {"class": "sweep"});
    document.body.appendChild(main);
    main.appendChild(h("p", {"class": "summary", text: D.summary_text}));
    if (D.best_text) main.appendChild(h("p", {"class": "best", text: D.best_text}));
    var sec = h("section", {"class": "sweep-plot-sec"}, h("h2", {text: D.pareto ? "Pareto front" : "Points"}));
    var keys = Object.keys(D.metrics);
    var x = D.plot.x, y = D.plot.y, holder = h("div");
    function pick(which) {
      return h("label", null, [which + " ", h("select", {"aria-label": which + " axis", onchange: function (ev) {
        if (which === "x") x = ev.target.value; else y = ev.target.value;
        draw();
      }}, keys.map(function (k) { return h("option", {value: k, text: D.metrics[k].label, selected: k === (which === "x" ? x : y) ? "selected" : null}); }))]);
    }
    function draw() { holder.textContent = ""; sweepPlot(holder, D, x, y); }
    sec.appendChild(h("div", {"class": "axes"}, [pick("x"), " ", pick("y"),
      h("span", {"class": "muted", text: " \u25cf front (joined)   \u25cb over the budget   \u2b24 best"})]));
    sec.appendChild(holder);
    main.appendChild(sec);
    draw();
    sweepTable(main, D);
    window.netspecReport = {draw: function (a, b) { x = a; y = b; draw(); }};
  }

  var started = performance.now();
  if (DATA.kind === "check") startCheck();
  else if (DATA.kind === "diff") diffPage(DATA);
  else if (DATA.kind === "sweep") sweepPage(DATA);
  document.documentElement.setAttribute("data-render-ms", String(Math.round(performance.now() - started)));
  document.documentElement.setAttribute("data-ready", "1");
})();
