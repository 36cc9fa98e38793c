//! `cargo bench --bench edit`: a dry run's output written as edits of the
//! user's YAML file (`edit::edit`, the proof included) and its diff
//! (`edit::unified_diff`), on generated SAM templates of 50 and 500
//! commented functions, beside their floor: our reader parsing the edited
//! text once (which the proof does anyway).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dd_serverless_macro::dry_run::{self, DryRunOptions};
use dd_serverless_macro::internals::edit;
use dd_serverless_macro::template::{self, Format};
use dd_serverless_macro::{MacroEnvironment, handle_with_report};

/// A SAM template of `functions` commented functions, half Python, half
/// Node.js, each with an environment variable, in four-space indentation.
fn template(functions: usize) -> String {
    let mut text = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform:\n    - AWS::Serverless-2016-10-31\n    - Name: DatadogServerless\n      Parameters:\n          service: shop\n\nResources:\n",
    );
    for i in 0..functions {
        let runtime = if i % 2 == 0 {
            "python3.12"
        } else {
            "nodejs22.x"
        };
        text.push_str(&format!(
            "    # function {i}\n    Fn{i}:\n        Type: AWS::Serverless::Function\n        Properties:\n            # the entry point\n            Handler: app.handler{i}\n            Runtime: {runtime}\n            CodeUri: src/\n            Environment:\n                Variables:\n                    TABLE: !Ref Table{i}\n\n"
        ));
    }
    text
}

fn edit_vs_floor(c: &mut Criterion) {
    let options = DryRunOptions {
        transform_name: dry_run::DEFAULT_TRANSFORM_NAME.into(),
        params: vec![
            ("addExtension".into(), "true".into()),
            (
                "apiKeySecretArn".into(),
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:dd".into(),
            ),
        ],
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        stack_name: "bench".into(),
        ..Default::default()
    };
    for functions in [50, 500] {
        let text = template(functions);
        let (before, _) = template::parse(&text).expect("the generated template reads");
        let prepared = dry_run::prepare(&before, &options).expect("the dry run prepares");
        let (response, _) = handle_with_report(prepared.request, &MacroEnvironment::default());
        assert!(response.is_success(), "the generated template transforms");
        let after = dry_run::finish(&before, response.fragment, &options.transform_name);
        let edited = edit::edit(&text, Format::Yaml, &before, &after).expect("it edits in place");
        let mut group = c.benchmark_group(format!("edit_{functions}_functions"));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function("edit", |b| {
            b.iter(|| edit::edit(black_box(&text), Format::Yaml, &before, &after))
        });
        group.bench_function("diff", |b| {
            b.iter(|| edit::unified_diff(black_box(&text), &edited, "t.yaml", "t.yaml"))
        });
        group.bench_function("floor", |b| {
            b.iter(|| template::parse(black_box(edited.text())))
        });
        group.finish();
    }
}

criterion_group!(benches, edit_vs_floor);
criterion_main!(benches);
