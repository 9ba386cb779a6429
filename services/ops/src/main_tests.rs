//! The command line's parsing and the funnel's metric reading.

use super::*;

#[test]
fn the_command_line_definition_is_consistent() {
    use clap::CommandFactory as _;
    Cli::command().debug_assert();
}

#[test]
fn the_accepted_count_is_read_from_the_gateway_metrics() {
    let metrics = "# HELP x\nlonjak_intake_requests_total{outcome=\"accepted\"} 42\n\
                   lonjak_intake_requests_total{outcome=\"invalid\"} 7\n";
    assert_eq!(accepted_in(metrics), Some(42));
    assert_eq!(accepted_in("nothing"), None);
}

#[test]
fn wave_commands_take_one_wave_each() {
    let cli = Cli::try_parse_from(["lonjak-ops", "wave", "close", "2"]).unwrap();
    assert!(matches!(
        cli.command,
        Command::Wave(WaveCommand::Close { wave: 2 })
    ));
    assert!(Cli::try_parse_from(["lonjak-ops", "wave", "create", "2"]).is_err());
    let create = |extra: &[&str]| {
        let mut args = vec!["lonjak-ops", "wave", "create", "2", "--quota", "9"];
        args.extend_from_slice(extra);
        match Cli::try_parse_from(args).map(|c| c.command) {
            Ok(Command::Wave(WaveCommand::Create {
                email_verification_required,
                ..
            })) => Some(email_verification_required),
            _ => None,
        }
    };
    assert_eq!(create(&[]), Some(true), "a verified email by default");
    assert_eq!(
        create(&["--email-verification-required", "false"]),
        Some(false)
    );
    assert!(Cli::try_parse_from(["lonjak-ops", "select"]).is_err());
}

#[test]
fn replay_without_max_moves_what_was_there_and_unknown_queues_are_refused() {
    let cli = Cli::try_parse_from(["lonjak-ops", "dlq", "replay", "notify.sms"]).unwrap();
    assert!(matches!(
        cli.command,
        Command::Dlq(DlqCommand::Replay {
            queue: Queue::NotifySms,
            max: None
        })
    ));
    assert!(Cli::try_parse_from(["lonjak-ops", "dlq", "replay", "mailer"]).is_err());
    // One dead-letter queue per notifier channel, none for the notifier as a whole.
    assert!(Cli::try_parse_from(["lonjak-ops", "dlq", "replay", "notifier"]).is_err());
    assert!(Cli::try_parse_from(["lonjak-ops", "dlq", "list", "verifier", "x"]).is_err());
}

#[test]
fn commands_go_through_the_admin_api_unless_told_to_use_the_database() {
    let parse = |args: &[&str]| Cli::try_parse_from(args).map(|c| (c.direct_database, c.admin_url));
    let (direct, url) = parse(&["lonjak-ops", "select", "--wave", "1"]).unwrap();
    assert!(!direct);
    assert_eq!(url, "http://127.0.0.1:8081");
    let (direct, url) = parse(&[
        "lonjak-ops",
        "--admin-url",
        "http://10.0.0.9:8081",
        "wave",
        "list",
    ])
    .unwrap();
    assert_eq!((direct, url.as_str()), (false, "http://10.0.0.9:8081"));
    assert!(
        parse(&["lonjak-ops", "select", "--wave", "1", "--direct-database"])
            .unwrap()
            .0
    );
}

#[test]
fn the_support_desk_commands_parse_their_filters_and_request_ids() {
    let cli = Cli::try_parse_from([
        "lonjak-ops",
        "access-log",
        "--actor",
        "budi",
        "--outcome",
        "forbidden",
    ])
    .unwrap();
    assert!(matches!(cli.command, Command::AccessLog(_)));
    let cli = Cli::try_parse_from([
        "lonjak-ops",
        "support",
        "replay",
        "7",
        "--queue",
        "verifier",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Command::Support(support_cli::SupportCommand::Replay {
            request: 7,
            queue: Some(Queue::Verifier)
        })
    ));
    assert!(
        Cli::try_parse_from(["lonjak-ops", "support", "decline", "7"]).is_err(),
        "a note is required"
    );
}

#[test]
fn seal_keypair_prints_a_pair_that_parses_back() {
    let cli = Cli::try_parse_from(["lonjak-ops", "keys", "seal-keypair"]).unwrap();
    assert!(matches!(
        cli.command,
        Command::Keys(lonjak_ops::keys::KeysCommand::SealKeypair)
    ));
    let key = lonjak_seal::SealPrivateKey::generate();
    let printed = lonjak_ops::keys::seal_keypair(&key);
    let value = |name: &str| {
        printed
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .expect("the line")
            .to_owned()
    };
    let private =
        lonjak_seal::SealPrivateKey::from_base64(&value("LONJAK_SEAL__PRIVATE_KEY=")).unwrap();
    let public =
        lonjak_seal::SealPublicKey::from_base64(&value("LONJAK_SEAL__PUBLIC_KEY=")).unwrap();
    assert_eq!(private.key_id(), key.key_id());
    assert_eq!(public.key_id(), key.key_id());
}

#[test]
fn an_agents_lookup_takes_one_kind_and_the_value_from_stdin_never_the_command_line() {
    use crate::support_agent::{read_value, request};
    let cli = Cli::try_parse_from([
        "lonjak-ops",
        "support",
        "lookup",
        "--phone",
        "--reason",
        "ticket 5",
    ])
    .unwrap();
    let Command::Support(support_cli::SupportCommand::Lookup(args)) = cli.command else {
        panic!("not a look-up");
    };
    let value = read_value(None, "0812 3456 7890\n".as_bytes()).unwrap();
    let asked = request(&args, value);
    assert_eq!(asked.phone.as_deref(), Some("0812 3456 7890"));
    assert_eq!((asked.nik, asked.email), (None, None));
    assert_eq!(asked.reason.as_deref(), Some("ticket 5"));
    assert_eq!(
        read_value(Some(" a@example.com ".to_owned()), "ignored\n".as_bytes()).unwrap(),
        "a@example.com"
    );
    assert!(read_value(None, "".as_bytes()).is_err(), "no value");
    for wrong in [
        vec!["lonjak-ops", "support", "lookup", "--reason", "ticket 5"],
        vec![
            "lonjak-ops",
            "support",
            "lookup",
            "--nik",
            "--email",
            "--reason",
            "t 5",
        ],
        vec!["lonjak-ops", "support", "lookup", "--nik"],
        vec![
            "lonjak-ops",
            "support",
            "lookup",
            "--nik",
            "3201",
            "--reason",
            "t 5",
        ],
    ] {
        assert!(Cli::try_parse_from(&wrong).is_err(), "{wrong:?}");
    }
    let cli = Cli::try_parse_from([
        "lonjak-ops",
        "support",
        "resend",
        "ab",
        "--event",
        "verified",
        "--channel",
        "sms",
        "--reason",
        "ticket 6",
    ])
    .unwrap();
    assert!(matches!(
        cli.command,
        Command::Support(support_cli::SupportCommand::Resend { .. })
    ));
    assert!(
        Cli::try_parse_from(["lonjak-ops", "support", "request-replay", "ab"]).is_err(),
        "a reason is required"
    );
}
