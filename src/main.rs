//! StreamLab's browser playground: the UI only. It reads engine snapshots and sends commands
//! through `player`; it never simulates anything itself.

mod app;
mod fetch;
#[cfg(test)]
mod fixtures;
mod markdown;
mod player;
mod probe;
mod progress;
mod route;
mod views;
mod widgets;

fn main() {
    probe::install();
    yew::Renderer::<app::App>::new().render();
}
