/* The convolution demo: steps through the outputs listed in the widget's JSON.
 * Every number comes from that JSON (computed by convref when the book was
 * built); this script only highlights cells and writes the current step. */
(function () {
  "use strict";
  if (window.convDemoInit) {
    window.convDemoInit();
    return;
  }
  var PLAY_MS = 1500;

  function fmt(v) {
    return String(v);
  }
  function paren(v) {
    return v < 0 ? "(" + fmt(v) + ")" : fmt(v);
  }

  function setup(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    var data = JSON.parse(root.querySelector(".cd-data").textContent);
    var steps = data.steps;
    var slider = root.querySelector(".cd-slider");
    var pos = root.querySelector(".cd-pos");
    var sum = root.querySelector(".cd-sum");
    var playBtn = root.querySelector('[data-act="play"]');
    var inGrids = root.querySelectorAll(".cd-in");
    var filters = root.querySelectorAll(".cd-filter");
    var prodSlices = root.querySelectorAll(".cd-products .cd-slice");
    var outSlices = root.querySelectorAll('.cd-slice[data-f]');
    var current = 0;
    var timer = null;

    function cell(grid, i, j) {
      return grid.querySelector('[data-i="' + i + '"][data-j="' + j + '"]');
    }

    function show(k) {
      k = Math.max(0, Math.min(steps.length - 1, k));
      current = k;
      var s = steps[k];
      var hh = s.products[0].length;
      var ww = s.products[0][0].length;
      slider.value = String(k);
      pos.textContent = String(k + 1);
      var where = "out[0, " + s.f + ", " + s.y + ", " + s.x + "]";
      var rows = "rows " + s.top + "-" + (s.top + hh - 1);
      var cols = "columns " + s.left + "-" + (s.left + ww - 1);
      slider.setAttribute("aria-valuetext", where + " = " + fmt(s.value) +
                          ", window on padded " + rows + ", " + cols);
      // the window in every input channel
      inGrids.forEach(function (grid) {
        grid.querySelectorAll(".cd-cell").forEach(function (c) {
          var i = +c.dataset.i;
          var j = +c.dataset.j;
          var inside = i >= s.top && i < s.top + hh && j >= s.left && j < s.left + ww;
          c.classList.toggle("cd-win", inside);
        });
      });
      filters.forEach(function (el) {
        el.classList.toggle("cd-active", +el.dataset.f === s.f);
      });
      // products, channel by channel
      prodSlices.forEach(function (sl) {
        var c = +sl.dataset.c;
        var grid = sl.querySelector(".cd-grid");
        for (var i = 0; i < hh; i++) {
          for (var j = 0; j < ww; j++) {
            cell(grid, i, j).textContent = fmt(s.products[c][i][j]);
          }
        }
        sl.querySelector(".cd-name").textContent =
          "channel " + c + ": sum " + fmt(s.channel_sums[c]);
        grid.setAttribute("aria-label", "products in channel " + c + ": " +
                          [].concat.apply([], s.products[c]).map(fmt).join(", ") +
                          "; sum " + fmt(s.channel_sums[c]));
      });
      // the output filled up to this step, the current number outlined
      outSlices.forEach(function (sl) {
        sl.querySelectorAll(".cd-cell").forEach(function (c) {
          c.textContent = "";
          c.classList.remove("cd-cur");
        });
      });
      for (var n = 0; n <= k; n++) {
        var t = steps[n];
        var c = cell(outSlices[t.f].querySelector(".cd-grid"), t.y, t.x);
        c.textContent = fmt(t.value);
        if (n === k) c.classList.add("cd-cur");
      }
      sum.textContent =
        where + " = " + s.channel_sums.map(paren).join(" + ") +
        " + bias " + paren(s.bias) + " = " + fmt(s.value);
    }

    function stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      sum.setAttribute("aria-live", "polite");
      playBtn.setAttribute("aria-pressed", "false");
      playBtn.setAttribute("aria-label", "Play");
      playBtn.innerHTML = "&#9654; Play";
    }
    function play() {
      if (current === steps.length - 1) show(0);
      // while playing, the sum changes every step: do not read each one out
      sum.setAttribute("aria-live", "off");
      playBtn.setAttribute("aria-pressed", "true");
      playBtn.setAttribute("aria-label", "Pause");
      playBtn.innerHTML = "&#10074;&#10074; Pause";
      timer = setInterval(function () {
        if (current >= steps.length - 1) {
          stop();
        } else {
          show(current + 1);
        }
      }, PLAY_MS);
    }

    root.querySelector('[data-act="prev"]').addEventListener("click", function () {
      stop();
      show(current - 1);
    });
    root.querySelector('[data-act="next"]').addEventListener("click", function () {
      stop();
      show(current + 1);
    });
    playBtn.addEventListener("click", function () {
      if (timer === null) play();
      else stop();
    });
    slider.addEventListener("input", function () {
      stop();
      show(+slider.value);
    });
    // Arrow keys, Home and End anywhere in the widget (the slider handles its own).
    root.addEventListener("keydown", function (e) {
      if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) return;
      var moves = {ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0,
                   End: steps.length - 1};
      if (e.key in moves) {
        e.preventDefault();
        stop();
        show(moves[e.key]);
      }
    });
    show(0);
  }

  window.convDemoInit = function () {
    document.querySelectorAll(".conv-demo").forEach(setup);
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", window.convDemoInit);
  } else {
    window.convDemoInit();
  }
})();
