//! What scripts outside the page may read (the page benchmark, `tests/bench/page.bench.js`):
//! `window.streamlab.wasmMemoryBytes()`. It knows nothing of the simulation.

use wasm_bindgen::prelude::*;

/// Bytes of the wasm linear memory: the engine's whole heap, which `performance.memory` (the
/// JS heap) does not count.
fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| f64::from(b.byte_length()))
}

/// Sets `window.streamlab = { wasmMemoryBytes }`.
pub fn install() {
    let Some(window) = web_sys::window() else { return };
    let api = js_sys::Object::new();
    // JS may call it at any time for as long as the page lives, so it is handed over for good.
    let memory_bytes = Closure::<dyn Fn() -> f64>::new(wasm_memory_bytes).into_js_value();
    let _ = js_sys::Reflect::set(&api, &"wasmMemoryBytes".into(), &memory_bytes);
    let _ = js_sys::Reflect::set(&window, &"streamlab".into(), &api);
}
