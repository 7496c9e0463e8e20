//! Deciding whether a string is a PromQL query, with a real parser.
//!
//! Runbooks are full of strings that happen to parse as PromQL (`snapbuilder-serving` is a
//! subtraction of two metrics, `OOMKilled` a metric name), so parsing is necessary but
//! not enough for text found inline: the parsed tree must also have the shape of a query
//! (a function, an aggregation, a range, label matchers, or a comparison with a number).

use promql_parser::parser::{self, Expr};

/// What the parser and the shape check make of a candidate string.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A query with the structure of one: take it.
    Query(QueryInfo),
    /// Parses, but as a bare metric name (`DCGM_FI_DEV_GPU_TEMP`): a query only where the
    /// text around it says it is a metric.
    BareMetric,
    /// Parses, but reads as a name or a number (`snapbuilder-serving`, `5`): not a query.
    NotAQuery,
    /// Does not parse; the parser's message.
    Invalid(String),
}

/// What the tree tells about a query, for naming it and guessing its unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryInfo {
    /// The first metric name in the query.
    pub metric: Option<String>,
    /// The quantile of an outer `histogram_quantile`, such as 0.95.
    pub quantile: Option<f64>,
    /// Function names used, outermost first.
    pub functions: Vec<String>,
}

/// Parses `text` as PromQL and classifies it. Never panics, even if the parser does.
pub fn classify(text: &str) -> Verdict {
    let text = text.trim();
    if text.is_empty() {
        return Verdict::Invalid("empty".into());
    }
    let parsed = std::panic::catch_unwind(|| parser::parse(text));
    let expr = match parsed {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => return Verdict::Invalid(first_line(&e)),
        Err(_) => return Verdict::Invalid("the PromQL parser failed on it".into()),
    };
    let mut info = QueryInfo::default();
    let mut shape = Shape::default();
    walk(&expr, &mut info, &mut shape, 0);
    if shape.structured {
        Verdict::Query(info)
    } else if let Expr::VectorSelector(vs) = &expr
        && vs.name.as_deref().is_some_and(|n| n.contains('_'))
        && vs.offset.is_none()
        && vs.at.is_none()
    {
        Verdict::BareMetric
    } else {
        Verdict::NotAQuery
    }
}

/// Info about a query already known to be one (a bare metric in a query context).
pub fn info(text: &str) -> QueryInfo {
    match std::panic::catch_unwind(|| parser::parse(text.trim())) {
        Ok(Ok(expr)) => {
            let mut info = QueryInfo::default();
            walk(&expr, &mut info, &mut Shape::default(), 0);
            info
        }
        _ => QueryInfo::default(),
    }
}

fn first_line(e: &str) -> String {
    e.lines()
        .next()
        .unwrap_or("invalid query")
        .trim()
        .to_string()
}

#[derive(Default)]
struct Shape {
    structured: bool,
}

/// Deep enough for any query a person writes; deeper trees are not walked further.
const MAX_WALK: usize = 64;

fn walk(e: &Expr, info: &mut QueryInfo, shape: &mut Shape, depth: usize) {
    if depth > MAX_WALK {
        return;
    }
    let d = depth + 1;
    match e {
        Expr::Aggregate(a) => {
            shape.structured = true;
            walk(&a.expr, info, shape, d);
            if let Some(p) = &a.param {
                walk(p, info, shape, d);
            }
        }
        Expr::Unary(u) => walk(&u.expr, info, shape, d),
        Expr::Binary(b) => {
            let number = |x: &Expr| matches!(x, Expr::NumberLiteral(_));
            let selector = |x: &Expr| matches!(x, Expr::VectorSelector(_));
            // `up == 0` is a query; `a-b` written without spaces is a hyphenated name.
            if b.op.is_comparison_operator()
                && ((number(&b.lhs) && selector(&b.rhs)) || (selector(&b.lhs) && number(&b.rhs)))
            {
                shape.structured = true;
            }
            walk(&b.lhs, info, shape, d);
            walk(&b.rhs, info, shape, d);
        }
        Expr::Paren(p) => walk(&p.expr, info, shape, d),
        Expr::Subquery(s) => {
            shape.structured = true;
            walk(&s.expr, info, shape, d);
        }
        Expr::VectorSelector(vs) => {
            let labelled = vs.matchers.matchers.iter().any(|m| m.name != "__name__")
                || !vs.matchers.or_matchers.is_empty();
            if labelled {
                shape.structured = true;
            }
            if info.metric.is_none() {
                info.metric = vs.name.clone().or_else(|| {
                    vs.matchers
                        .matchers
                        .iter()
                        .find(|m| m.name == "__name__")
                        .map(|m| m.value.clone())
                });
            }
        }
        Expr::MatrixSelector(m) => {
            shape.structured = true;
            walk(&Expr::VectorSelector(m.vs.clone()), info, shape, d);
        }
        Expr::Call(c) => {
            shape.structured = true;
            info.functions.push(c.func.name.to_string());
            if c.func.name == "histogram_quantile"
                && info.quantile.is_none()
                && let Some(first) = c.args.args.first()
                && let Expr::NumberLiteral(n) = first.as_ref()
            {
                info.quantile = Some(n.val);
            }
            for a in &c.args.args {
                walk(a, info, shape, d);
            }
        }
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn real_queries_are_queries() {
        for q in [
            r#"sum(rate(http_requests_total{status=~"5.."}[5m]))"#,
            "histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))",
            "up == 0",
            r#"up{job="api"}"#,
            "rate(x[5m])[30m:1m]",
        ] {
            assert!(matches!(classify(q), Verdict::Query(_)), "{q}");
        }
        let Verdict::Query(i) =
            classify("histogram_quantile(0.99, sum by (le) (rate(lat_seconds_bucket[5m])))")
        else {
            panic!("not a query")
        };
        assert_eq!(i.quantile, Some(0.99));
        assert_eq!(i.metric.as_deref(), Some("lat_seconds_bucket"));
        assert_eq!(i.functions, ["histogram_quantile", "rate"]);
    }

    #[test]
    fn names_and_numbers_that_parse_are_not_queries() {
        assert_eq!(classify("snapbuilder-serving"), Verdict::NotAQuery);
        assert_eq!(classify("OOMKilled"), Verdict::NotAQuery);
        assert_eq!(classify("5"), Verdict::NotAQuery);
        assert_eq!(classify("\"text\""), Verdict::NotAQuery);
        assert_eq!(classify("DCGM_FI_DEV_GPU_TEMP"), Verdict::BareMetric);
    }

    #[test]
    fn what_does_not_parse_says_why() {
        for bad in [
            "kubectl get pods",
            "sum(rate(x[5m])",
            "/v1/generate",
            "",
            "SELECT 1",
        ] {
            assert!(matches!(classify(bad), Verdict::Invalid(_)), "{bad}");
        }
    }
}
