use super::*;

#[test]
fn quick_run_is_finite() {
    let outcome = run(&Settings::quick(), &mut |line| eprintln!("{line}")).unwrap();
    eprintln!("{}", serde_json::to_string_pretty(&outcome.report).unwrap());
    outcome.check_finite().unwrap();
}
