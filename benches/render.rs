//! Drawing the whole cockpit: the work done for every frame.

#![allow(clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sitrep::app::sample::large_app;

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    // 5,000 pods, 128 GPUs and 100,000 buffered log lines.
    let mut app = large_app(5000, 128, 100_000);
    for (name, w, h) in [("full_200x60", 200, 60), ("compact_80x24", 80, 24)] {
        app.size = (w, h);
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
        group.bench_function(name, |b| {
            b.iter(|| {
                terminal.draw(|f| sitrep::ui::draw(f, &app)).expect("draws");
            })
        });
    }
    app.size = (200, 60);
    app.logs.set_filter(Some(
        sitrep::app::logs::LogFilter::parse("ERROR").expect("a valid regex"),
    ));
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    group.bench_function("full_200x60_log_filter", |b| {
        b.iter(|| {
            terminal.draw(|f| sitrep::ui::draw(f, &app)).expect("draws");
        })
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
