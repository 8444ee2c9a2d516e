//! StreamLab's browser playground: the UI only. It reads engine snapshots and sends commands
//! through `player`; it never simulates anything itself.

mod app;
mod player;
mod views;
mod widgets;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
