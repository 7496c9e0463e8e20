//! Parsing a 10 MB runbook must stay well under a second.

use criterion::{Criterion, criterion_group, criterion_main};

fn big_runbook() -> String {
    let section = "## HighErrorRate on service NN\n\n**Symptoms:** 5xx above 3%\n\n\
### Immediate actions\n\n1. Check the rollout:\n   ```bash\n   # history\n   kubectl -n app rollout history deployment/app\n   kubectl -n app rollout undo \\\n     deployment/app\n   ```\n\
2. Watch pods: `kubectl -n app get pods -w`\n\n- **Label item**: with nested\n  - [ ] sub step <pod-name>\n  - [x] done\n\n\
| Switch | Command |\n|---|---|\n| `flag` | `kubectl patch cm x` |\n\nSome prose with a [link](other.md#x) and <b>html</b>.\n\n";
    let mut s = String::from("---\ntitle: Big\n---\n# Big runbook\n\n");
    while s.len() < 10 * 1024 * 1024 {
        s.push_str(section);
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = big_runbook();
    let mut g = c.benchmark_group("runbook");
    g.sample_size(10);
    g.bench_function("parse_10mb", |b| b.iter(|| sitrep::runbook::parse(&text)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
