// The worker: its first message is the compiled module; what comes before the instance is
// ready waits, then goes to the module's own listener.
(function () {
  'use strict';
  var queue = [];
  self.onmessage = function (first) {
    self.onmessage = function (e) { queue.push(e.data); };
    wasm_bindgen({ module_or_path: first.data }).then(function () {
      self.onmessage = null;
      wasm_bindgen.start_worker();
      queue.forEach(function (data) { self.dispatchEvent(new MessageEvent('message', { data: data })); });
    });
  };
})();
