// Starts the verifier: compiles the module once, runs the page's instance, and gives it a
// function that starts a worker (its own instance of the same module, sent over as compiled).
// Served (/verify/): the module and worker.js come from the server. Self-contained
// (kelisim-verifier.html): the module is the base64 in #kelisim-wasm, and the worker is a blob
// made of the glue (#kelisim-glue's own text) and #kelisim-worker-boot.
(function () {
  'use strict';
  var inline = document.getElementById('kelisim-wasm');
  var compiled, workerUrl;
  if (inline) {
    var bin = atob(inline.textContent.trim());
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    compiled = WebAssembly.compile(bytes);
    var glue = document.getElementById('kelisim-glue').textContent;
    var boot = document.getElementById('kelisim-worker-boot').textContent;
    workerUrl = URL.createObjectURL(new Blob([glue, '\n', boot], { type: 'text/javascript' }));
  } else {
    compiled = WebAssembly.compileStreaming(fetch('kelisim-verifier.wasm'));
    workerUrl = 'worker.js';
  }
  compiled
    .then(function (module) {
      return wasm_bindgen({ module_or_path: module }).then(function () {
        wasm_bindgen.start_page(function () {
          var w = new Worker(workerUrl);
          w.postMessage(module);
          return w;
        });
      });
    })
    .catch(function (e) {
      var v = document.getElementById('verdict');
      v.setAttribute('data-verdict', 'error');
      v.textContent = String(e && e.message || e);
    });
})();
