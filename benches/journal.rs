//! A journal of years: 50,000 incidents, about 12 MB. A full parse runs at disk speed;
//! the last incident (`--last`) is read from the end of the file.

use criterion::{Criterion, criterion_group, criterion_main};

/// `n` resolved incidents, each a heading, a header and four entries.
pub fn big_journal(n: usize) -> String {
    let mut s = String::from("# Incidents\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "## INC-2026{:04}-{:04} · Checkout returns 5xx ({i})\n\n\
             - opened at: 2026-11-22T04:12:03Z\n- mode: LIVE prod/checkout\n- severity: SEV2\n- opened by: alice\n\n\
             - 2026-11-22T04:12:03Z · alice · opened · Checkout returns 5xx\n\
             - 2026-11-22T04:13:40Z · alice · ack · paged\n\
             - 2026-11-22T04:18:11Z · alice · rollback [ok] · deployment/checkout from 42 to 41\n\
             - 2026-11-22T04:40:00Z · alice · status · resolved\n\n",
            i / 10_000,
            i % 10_000
        ));
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = big_journal(50_000);
    let mut g = c.benchmark_group("journal");
    g.sample_size(10);
    g.bench_function("parse_50k_incidents", |b| {
        b.iter(|| sitrep::journal::parse(&text))
    });
    g.bench_function("parse_last_50k_incidents", |b| {
        b.iter(|| sitrep::journal::parse_last(&text))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
